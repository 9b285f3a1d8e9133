namespace DurableMigration.Migration;

/// <summary>Activity names: the class names of the activities in <c>Migration/Activities</c>, as Durable Functions names them.</summary>
public static class MigrationActivityNames
{
    /// <summary>Assessment.</summary>
    public const string ValidateDatabase = "ValidateDatabaseActivity";

    /// <summary>Schema copy.</summary>
    public const string MigrateSchema = "MigrateSchemaActivity";

    /// <summary>Data copy.</summary>
    public const string CopyData = "CopyDataActivity";

    /// <summary>Progress read.</summary>
    public const string GetCopyProgress = "GetCopyProgressActivity";

    /// <summary>Replication state and lag of an online migration.</summary>
    public const string GetReplicationStatus = "GetReplicationStatusActivity";

    /// <summary>Source made read-only.</summary>
    public const string Cutover = "CutoverActivity";

    /// <summary>Comparison of source and target.</summary>
    public const string PostValidate = "PostValidateActivity";

    /// <summary>Records the target's state at cutover.</summary>
    public const string RecordTargetBaseline = "RecordTargetBaselineActivity";

    /// <summary>Whether the target changed since cutover.</summary>
    public const string GetTargetChanges = "GetTargetChangesActivity";

    /// <summary>Applies the target's changes since cutover to the source.</summary>
    public const string CopyBack = "CopyBackActivity";

    /// <summary>Makes the target read-only and backs it up before it is dropped.</summary>
    public const string BackupTarget = "BackupTargetActivity";

    /// <summary>The final sync of the rows that changed on the source during the copy.</summary>
    public const string SyncChanges = "SyncChangesActivity";

    /// <summary>Consumers switched to the target.</summary>
    public const string Remediate = "RemediateActivity";

    /// <summary>Before compensating: resolve the connection references without connecting.</summary>
    public const string ResolveConnections = "ResolveConnectionsActivity";

    /// <summary>Compensation: drop the target.</summary>
    public const string DropTarget = "DropTargetActivity";

    /// <summary>Compensation: make the source writable.</summary>
    public const string MakeSourceWritable = "MakeSourceWritableActivity";

    /// <summary>Compensation: consumers back to the source.</summary>
    public const string SwitchConsumersBack = "SwitchConsumersBackActivity";

    /// <summary>Alert.</summary>
    public const string SendAlert = "SendAlertActivity";

    /// <summary>Next maintenance window.</summary>
    public const string NextCutoverWindow = "NextCutoverWindowActivity";
}
