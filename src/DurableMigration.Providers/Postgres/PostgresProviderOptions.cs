namespace DurableMigration.Providers.Postgres;

/// <summary>Tuning of <see cref="PostgresDatabaseProvider"/>.</summary>
public sealed record PostgresProviderOptions
{
    /// <summary>Gets how many tables (or ranges of one large table) the data copy moves at the same time (default 4); each uses one connection to either side.</summary>
    public int ParallelTables { get; init; } = 4;

    /// <summary>Gets the size above which a table's rows are copied in several block (<c>ctid</c>) ranges in parallel (default 256 MiB).</summary>
    public long SplitTableBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Gets the directory of <c>pg_dump</c> and <c>pg_restore</c>; <c>null</c> takes the newest <c>/usr/lib/postgresql/*/bin</c>, else the PATH.</summary>
    /// <remarks>The tools must be at least as new as the source server (assessment checks it).</remarks>
    public string? ToolsDirectory { get; init; }

    /// <summary>Gets how often the data copy reports progress at most (default 1 s); it also reports at the end of every table.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets how long a statement waits for a lock before failing, retriably (default 30 s): <c>lock_timeout</c> of every session the provider opens.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets how many rows of a table validation checks per key range when it looks for where a mismatch is (default 1,000; more for large tables, at most 256 ranges per table).</summary>
    public int ValidationBucketRows { get; init; } = 1_000;

    /// <summary>
    /// Gets a value indicating whether an offline copy records the source's changes by logical replication when the
    /// servers allow it (default <c>true</c>), so the final sync inside the write-blocked window moves only what changed
    /// during the copy instead of copying everything again.
    /// </summary>
    public bool RecordChangesOffline { get; init; } = true;

    /// <summary>Gets how long the final sync waits for the target to apply the source's last change before the step fails, retriably (default 5 min).</summary>
    public TimeSpan FinalSyncTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets the <c>maintenance_work_mem</c> of each index build after the copy (default <c>256MB</c>; up to <see cref="ParallelTables"/> builds run at once on the target).</summary>
    public string IndexBuildMemory { get; init; } = "256MB";

    /// <summary>Gets how long <c>pg_dump</c> or <c>pg_restore</c> may run before the step fails (default 2 h).</summary>
    public TimeSpan ToolTimeout { get; init; } = TimeSpan.FromHours(2);
}
