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

    /// <summary>Source made read-only.</summary>
    public const string Cutover = "CutoverActivity";

    /// <summary>Comparison of source and target.</summary>
    public const string PostValidate = "PostValidateActivity";

    /// <summary>Consumers switched to the target.</summary>
    public const string Remediate = "RemediateActivity";

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
