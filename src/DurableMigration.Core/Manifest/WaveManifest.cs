namespace DurableMigration.Manifest;

/// <summary>A wave: the databases migrated together, and the policies that govern them.</summary>
/// <remarks>Built only by <c>WaveManifestReader</c>, which checks every rule in <c>docs/manifest.md</c> first.</remarks>
/// <param name="Wave">The wave id; also the orchestration instance id.</param>
/// <param name="Mode">Offline, or online with continuous sync until cutover.</param>
/// <param name="MaxParallel">How many databases migrate at once.</param>
/// <param name="OnFailure">What a failed database does to the wave.</param>
/// <param name="Cutover">When cutover may happen.</param>
/// <param name="Alerts">When and where to raise alerts.</param>
/// <param name="Databases">The databases, in manifest order.</param>
public sealed record WaveManifest(
    string Wave,
    MigrationMode Mode,
    int MaxParallel,
    FailurePolicy OnFailure,
    CutoverPolicy Cutover,
    AlertPolicy Alerts,
    IReadOnlyList<DatabaseSpec> Databases);

/// <summary>How data moves.</summary>
public enum MigrationMode
{
    /// <summary>Copy once; the source is made read-only at cutover.</summary>
    Offline,

    /// <summary>Copy, then keep syncing changes until cutover.</summary>
    Online,
}

/// <summary>What happens when a database fails.</summary>
public enum FailureAction
{
    /// <summary>Compensate every database in reverse dependency order.</summary>
    RollbackWave,

    /// <summary>Compensate the failed database, skip its dependents, keep the rest.</summary>
    RollbackDatabase,

    /// <summary>The failed database waits for a <c>Retry</c> or <c>Rollback</c> event, rolling back when none comes in time.</summary>
    AskOperator,
}

/// <summary>The wave's failure policy.</summary>
/// <param name="Action">What a failure does.</param>
/// <param name="OperatorTimeout">With <see cref="FailureAction.AskOperator"/>: how long to wait for the operator before rolling back.</param>
public sealed record FailurePolicy(FailureAction Action, TimeSpan OperatorTimeout);

/// <summary>Who approves cutover.</summary>
public enum CutoverApproval
{
    /// <summary>Cut over as soon as the gate (window, lag) allows.</summary>
    Auto,

    /// <summary>Wait for an <c>ApproveCutover</c> event.</summary>
    Manual,
}

/// <summary>When cutover may happen.</summary>
/// <param name="Approval">Automatic or manual approval.</param>
/// <param name="Window">The maintenance window cutover must fall in, if any.</param>
/// <param name="MaxLagSeconds">Online mode: the replication lag under which cutover may start.</param>
public sealed record CutoverPolicy(CutoverApproval Approval, MaintenanceWindow? Window, double MaxLagSeconds);

/// <summary>A daily maintenance window in a time zone.</summary>
/// <param name="Start">Local start time of day.</param>
/// <param name="End">Local end time of day; before <paramref name="Start"/> means the window crosses midnight.</param>
/// <param name="TimeZone">IANA or Windows time zone id.</param>
public sealed record MaintenanceWindow(TimeOnly Start, TimeOnly End, string TimeZone);

/// <summary>When and where alerts go.</summary>
/// <param name="MaxDurationMinutes">Alert when one database takes longer than this; <c>null</c> for never.</param>
/// <param name="Webhook">An HTTP(S) URL that receives alerts as JSON; <c>null</c> for log and status only.</param>
public sealed record AlertPolicy(int? MaxDurationMinutes, Uri? Webhook);

/// <summary>One database of the wave.</summary>
/// <param name="Name">Unique name within the wave.</param>
/// <param name="Source">Where it is.</param>
/// <param name="Target">Where it goes.</param>
/// <param name="DependsOn">Names of databases that must complete first.</param>
/// <param name="Priority">Among databases ready at the same time, higher goes first.</param>
/// <param name="Tables">Which tables to move; all when <c>null</c>.</param>
/// <param name="Validation">What post-validation compares.</param>
public sealed record DatabaseSpec(
    string Name,
    DatabaseEndpoint Source,
    DatabaseEndpoint Target,
    IReadOnlyList<string> DependsOn,
    int Priority,
    TableFilter? Tables,
    ValidationOptions Validation);

/// <summary>A database engine and how to reach it.</summary>
/// <param name="Engine">Engine name, lower case (<c>sqlite</c>, <c>postgresql</c>, <c>sqlserver</c>).</param>
/// <param name="Connection">A reference resolved only inside activities (<c>env:NAME</c>, <c>file:PATH</c>), or a literal without credentials.</param>
public sealed record DatabaseEndpoint(string Engine, string Connection)
{
    /// <summary>Gets where an Azure Database Migration Service migration writes: required on a <c>sqlserver</c> target, <c>null</c> elsewhere.</summary>
    public AzureTargetSpec? Azure { get; init; }
}

/// <summary>Which tables to move: <paramref name="Include"/> (all when empty) minus <paramref name="Exclude"/>.</summary>
/// <param name="Include">Table names to move; empty for all.</param>
/// <param name="Exclude">Table names to leave behind.</param>
public sealed record TableFilter(IReadOnlyList<string> Include, IReadOnlyList<string> Exclude)
{
    /// <summary>Tells whether table <paramref name="table"/> is moved (names compare case-insensitively).</summary>
    public bool Includes(string table) =>
        (Include.Count == 0 || Include.Contains(table, StringComparer.OrdinalIgnoreCase))
        && !Exclude.Contains(table, StringComparer.OrdinalIgnoreCase);
}

/// <summary>What post-validation compares between source and target.</summary>
/// <param name="RowCounts">Compare row counts per table.</param>
/// <param name="Checksums">Compare an order-independent checksum per table.</param>
public sealed record ValidationOptions(bool RowCounts, bool Checksums);
