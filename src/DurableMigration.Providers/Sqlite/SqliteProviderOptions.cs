namespace DurableMigration.Providers.Sqlite;

/// <summary>Tuning of <see cref="SqliteDatabaseProvider"/>.</summary>
public sealed class SqliteProviderOptions
{
    /// <summary>Gets or sets how many rows the data copy moves between two progress reports (default 50,000).</summary>
    public int ProgressBatchRows { get; set; } = 50_000;

    /// <summary>
    /// Gets or sets the source size from which a data copy that moves every table copies the file page by page
    /// (SQLite's online backup, about as fast as <c>VACUUM INTO</c>) instead of table by table (default 64 MiB). A page
    /// copy reports its progress in pages, with the rows estimated from them, not per table; smaller sources are
    /// copied in milliseconds either way and keep per-table progress.
    /// </summary>
    public long PageCopyThresholdBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Gets or sets how long one statement waits for a lock another connection holds before the provider gives up
    /// with a <see cref="DatabaseLockedException"/> naming the lock (default 4 s). The connection string's
    /// <c>Default Timeout</c> is not used.
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// Gets or sets a value indicating whether the schema copy creates a missing target folder (default <c>false</c>:
    /// assessment reports it as blocking and the copy refuses, so a mistyped path does not silently create folders).
    /// </summary>
    public bool CreateTargetDirectory { get; set; }

    /// <summary>Gets or sets the free-space probe of a folder, for tests; <c>null</c> asks the file system.</summary>
    internal Func<string, long>? FreeSpaceProbe { get; set; }
}
