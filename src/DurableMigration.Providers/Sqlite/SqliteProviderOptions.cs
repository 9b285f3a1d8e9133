namespace DurableMigration.Providers.Sqlite;

/// <summary>Tuning of <see cref="SqliteDatabaseProvider"/>.</summary>
public sealed class SqliteProviderOptions
{
    /// <summary>Gets or sets how many rows the data copy moves between two progress reports (default 50,000).</summary>
    public int ProgressBatchRows { get; set; } = 50_000;
}
