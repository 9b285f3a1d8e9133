namespace DurableMigration.Engine;

/// <summary>Settings of the embedded durable runtime.</summary>
public sealed class DurableEngineOptions
{
    /// <summary>Gets or sets the path of the SQLite task hub file; created if absent.</summary>
    public string TaskHubPath { get; set; } = "taskhub.db";

    /// <summary>Gets or sets how many activities run at once in this process.</summary>
    public int MaxConcurrentActivities { get; set; } = Environment.ProcessorCount * 8;

    /// <summary>Gets or sets how many orchestration turns run at once in this process.</summary>
    public int MaxConcurrentOrchestrations { get; set; } = Environment.ProcessorCount * 2;

    /// <summary>Gets or sets how long a worker owns a work item before another may take it; running activities renew theirs.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the longest pause between polls when idle; work started in this process wakes workers at once.</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets or sets how many running orchestrations keep their state in memory between turns, sparing a replay.</summary>
    public int MaxCachedOrchestrations { get; set; } = 1024;

    /// <summary>Gets or sets whether, at start, locks held by processes on this machine that no longer exist are released at once rather than after their lease.</summary>
    public bool ReleaseLocksOfDeadProcesses { get; set; } = true;

    /// <summary>Gets or sets the delay before retrying a turn that failed inside the runtime (not in orchestrator code).</summary>
    public TimeSpan TurnRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(TaskHubPath);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentActivities, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentOrchestrations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(LeaseDuration, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxPollingInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxCachedOrchestrations);
    }
}
