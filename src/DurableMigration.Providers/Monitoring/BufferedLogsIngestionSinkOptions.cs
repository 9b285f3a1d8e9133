namespace DurableMigration.Providers.Monitoring;

/// <summary>Options of <see cref="BufferedLogsIngestionSink"/>: buffer size, batching, retries and the flush bound.</summary>
public sealed class BufferedLogsIngestionSinkOptions
{
    /// <summary>Gets or sets how many records the buffer holds; the oldest are dropped (and counted) beyond. 10,000 unless set.</summary>
    public int Capacity { get; set; } = 10_000;

    /// <summary>Gets or sets the most records of one upload; 500 unless set.</summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>Gets or sets how long the first record of a batch waits for others before the batch goes; 5 seconds unless set.</summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how many times a batch is uploaded before it is dropped; 5 unless set.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Gets or sets the wait after the first failed upload, doubled after each next one (up to 1 minute); 2 seconds unless set.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the clock the batch window is measured with; the system clock unless set.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Gets or sets how long <see cref="BufferedLogsIngestionSink.DisposeAsync"/> may take to send what is buffered; 10 seconds unless set.</summary>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
