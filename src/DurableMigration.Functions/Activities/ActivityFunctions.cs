using DurableMigration.Migration;
using DurableMigration.Migration.Activities;
using DurableMigration.Providers;
using Microsoft.Azure.Functions.Worker;

namespace DurableMigration.Functions.Activities;

/// <summary>The activities as Durable Functions: each resolves the same <c>TaskActivity</c> class from DI and runs it (<see cref="ActivityInvocation"/>).</summary>
/// <remarks>Function names are the names the orchestrations call (<see cref="MigrationActivityNames"/>).</remarks>
public static class ActivityFunctions
{
    /// <summary>Pre-flight assessment of one database.</summary>
    [Function(MigrationActivityNames.ValidateDatabase)]
    public static Task<AssessmentReport> ValidateDatabase([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<ValidateDatabaseActivity, DatabaseStepInput, AssessmentReport>(input, context);

    /// <summary>Creates the target's schema.</summary>
    [Function(MigrationActivityNames.MigrateSchema)]
    public static Task<SchemaCopyResult> MigrateSchema([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<MigrateSchemaActivity, DatabaseStepInput, SchemaCopyResult>(input, context);

    /// <summary>Copies the data, publishing progress to the shared store.</summary>
    [Function(MigrationActivityNames.CopyData)]
    public static Task<DataCopyResult> CopyData([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<CopyDataActivity, DatabaseStepInput, DataCopyResult>(input, context);

    /// <summary>Reads an online migration's replication state and lag.</summary>
    [Function(MigrationActivityNames.GetReplicationStatus)]
    public static Task<ReplicationStatus> GetReplicationStatus([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<GetReplicationStatusActivity, DatabaseStepInput, ReplicationStatus>(input, context);

    /// <summary>Reads the latest copy progress from the shared store.</summary>
    [Function(MigrationActivityNames.GetCopyProgress)]
    public static Task<CopyProgress?> GetCopyProgress([ActivityTrigger] ProgressQuery input, FunctionContext context) =>
        ActivityInvocation.RunAsync<GetCopyProgressActivity, ProgressQuery, CopyProgress?>(input, context);

    /// <summary>Makes the source read-only for cutover.</summary>
    [Function(MigrationActivityNames.Cutover)]
    public static Task<bool> Cutover([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<CutoverActivity, DatabaseStepInput, bool>(input, context);

    /// <summary>Applies the rows that changed since the copy began.</summary>
    [Function(MigrationActivityNames.SyncChanges)]
    public static Task<ChangeSyncResult?> SyncChanges([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<SyncChangesActivity, DatabaseStepInput, ChangeSyncResult?>(input, context);

    /// <summary>Compares source and target.</summary>
    [Function(MigrationActivityNames.PostValidate)]
    public static Task<ValidationReport> PostValidate([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<PostValidateActivity, DatabaseStepInput, ValidationReport>(input, context);

    /// <summary>Points the database's consumers at the target.</summary>
    [Function(MigrationActivityNames.Remediate)]
    public static Task<ConnectionEntry?> Remediate([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<RemediateActivity, DatabaseStepInput, ConnectionEntry?>(input, context);

    /// <summary>Records the target's state at cutover, to tell later writes apart.</summary>
    [Function(MigrationActivityNames.RecordTargetBaseline)]
    public static Task<TargetBaseline> RecordTargetBaseline([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<RecordTargetBaselineActivity, DatabaseStepInput, TargetBaseline>(input, context);

    /// <summary>Counts the target's writes since cutover.</summary>
    [Function(MigrationActivityNames.GetTargetChanges)]
    public static Task<TargetChanges> GetTargetChanges([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<GetTargetChangesActivity, DatabaseStepInput, TargetChanges>(input, context);

    /// <summary>Copies the target's writes since cutover back to the source.</summary>
    [Function(MigrationActivityNames.CopyBack)]
    public static Task<ChangeSyncResult> CopyBack([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<CopyBackActivity, DatabaseStepInput, ChangeSyncResult>(input, context);

    /// <summary>Backs the target up before it is dropped.</summary>
    [Function(MigrationActivityNames.BackupTarget)]
    public static Task<string?> BackupTarget([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<BackupTargetActivity, DatabaseStepInput, string?>(input, context);

    /// <summary>Resolves a database's connection references without connecting.</summary>
    [Function(MigrationActivityNames.ResolveConnections)]
    public static Task<ConnectionCheck> ResolveConnections([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<ResolveConnectionsActivity, DatabaseStepInput, ConnectionCheck>(input, context);

    /// <summary>Compensation of the copy: removes the target.</summary>
    [Function(MigrationActivityNames.DropTarget)]
    public static Task<bool> DropTarget([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<DropTargetActivity, DatabaseStepInput, bool>(input, context);

    /// <summary>Compensation of cutover: makes the source writable again.</summary>
    [Function(MigrationActivityNames.MakeSourceWritable)]
    public static Task<bool> MakeSourceWritable([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<MakeSourceWritableActivity, DatabaseStepInput, bool>(input, context);

    /// <summary>Compensation of remediation: points consumers back at the source.</summary>
    [Function(MigrationActivityNames.SwitchConsumersBack)]
    public static Task<ConnectionEntry?> SwitchConsumersBack([ActivityTrigger] DatabaseStepInput input, FunctionContext context) =>
        ActivityInvocation.RunAsync<SwitchConsumersBackActivity, DatabaseStepInput, ConnectionEntry?>(input, context);

    /// <summary>Sends an alert to the log and the wave's webhook.</summary>
    [Function(MigrationActivityNames.SendAlert)]
    public static Task<bool> SendAlert([ActivityTrigger] AlertRequest input, FunctionContext context) =>
        ActivityInvocation.RunAsync<SendAlertActivity, AlertRequest, bool>(input, context);

    /// <summary>Computes the next cutover window.</summary>
    [Function(MigrationActivityNames.NextCutoverWindow)]
    public static Task<DateTime?> NextCutoverWindow([ActivityTrigger] WindowQuery input, FunctionContext context) =>
        ActivityInvocation.RunAsync<NextCutoverWindowActivity, WindowQuery, DateTime?>(input, context);
}
