namespace DurableMigration.Providers.SqlServer;

/// <summary>Options of <see cref="SqlServerQueryRunner"/>: command timeout and the retry of transient errors.</summary>
public sealed class SqlServerQueryRunnerOptions
{
    /// <summary>Gets or sets how long one statement may run; 10 minutes unless set (checksums read whole tables).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets how often a statement failing with a whitelisted transient error is retried; 4 unless set (0 turns retries off).</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>Gets or sets the wait before the first retry, doubled for each further one; 1 second unless set.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest wait between two tries; 30 seconds unless set.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
}
