using DurableMigration.Migration.Activities;
using Microsoft.DurableTask;

namespace DurableMigration.Migration;

/// <summary>Registers the migration orchestrators and activities with a Durable Task worker, under the names Durable Functions would use.</summary>
/// <remarks>
/// Every runtime (the embedded one, Microsoft's in-process test host, the Durable Task Framework, Azure Functions)
/// registers the same classes through this method. Activities are resolved from the worker's service provider, so the
/// host registers the ports they take (<c>IDatabaseProviderCatalog</c>, <c>IConnectionResolver</c>,
/// <c>IConnectionRegistry</c>, <c>IAlertSink</c>, <c>IMigrationProgressStore</c>, <c>IWorkerShutdown</c>).
/// Activities run at least once: a crash after the work but before its result is recorded runs it again, so each is idempotent.
/// </remarks>
public static class MigrationRegistration
{
    /// <summary>Adds every orchestrator and activity of a wave.</summary>
    public static DurableTaskRegistry AddMigration(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<WaveOrchestration>(MigrationNames.WaveOrchestration)
            .AddOrchestrator<DatabaseMigrationOrchestration>(MigrationNames.DatabaseMigrationOrchestration)
            .AddOrchestrator<WaveRollbackOrchestration>(MigrationNames.WaveRollbackOrchestration)
            .AddOrchestrator<TicketReceiptOrchestration>(MigrationNames.TicketReceiptOrchestration)
            .AddActivity<ValidateDatabaseActivity>(MigrationActivityNames.ValidateDatabase)
            .AddActivity<MigrateSchemaActivity>(MigrationActivityNames.MigrateSchema)
            .AddActivity<CopyDataActivity>(MigrationActivityNames.CopyData)
            .AddActivity<GetCopyProgressActivity>(MigrationActivityNames.GetCopyProgress)
            .AddActivity<GetReplicationStatusActivity>(MigrationActivityNames.GetReplicationStatus)
            .AddActivity<CutoverActivity>(MigrationActivityNames.Cutover)
            .AddActivity<PostValidateActivity>(MigrationActivityNames.PostValidate)
            .AddActivity<SyncChangesActivity>(MigrationActivityNames.SyncChanges)
            .AddActivity<RecordTargetBaselineActivity>(MigrationActivityNames.RecordTargetBaseline)
            .AddActivity<GetTargetChangesActivity>(MigrationActivityNames.GetTargetChanges)
            .AddActivity<CopyBackActivity>(MigrationActivityNames.CopyBack)
            .AddActivity<BackupTargetActivity>(MigrationActivityNames.BackupTarget)
            .AddActivity<RemediateActivity>(MigrationActivityNames.Remediate)
            .AddActivity<ResolveConnectionsActivity>(MigrationActivityNames.ResolveConnections)
            .AddActivity<DropTargetActivity>(MigrationActivityNames.DropTarget)
            .AddActivity<MakeSourceWritableActivity>(MigrationActivityNames.MakeSourceWritable)
            .AddActivity<SwitchConsumersBackActivity>(MigrationActivityNames.SwitchConsumersBack)
            .AddActivity<SendAlertActivity>(MigrationActivityNames.SendAlert)
            .AddActivity<NextCutoverWindowActivity>(MigrationActivityNames.NextCutoverWindow);
    }
}
