using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;

namespace DurableMigration.Engine;

/// <summary>What a committed turn survives: the trade between commit speed and power-loss safety.</summary>
public enum TaskHubDurability
{
    /// <summary>SQLite <c>synchronous=NORMAL</c> in WAL mode: every commit survives a crash of the process; a power loss or
    /// operating-system crash may lose the last commits (never corrupt the file). The default, and the fastest.</summary>
    Normal,

    /// <summary>SQLite <c>synchronous=FULL</c>: every commit is flushed to disk before it is acknowledged, so it also survives a power loss.</summary>
    Full,
}

/// <summary>Settings of the embedded durable runtime.</summary>
public sealed class DurableEngineOptions
{
    /// <summary>Gets or sets the path of the SQLite task hub file; created if absent.</summary>
    public string TaskHubPath { get; set; } = "taskhub.db";

    /// <summary>Gets or sets how many activities run at once in this process.</summary>
    public int MaxConcurrentActivities { get; set; } = Environment.ProcessorCount * 8;

    /// <summary>Gets or sets how many orchestration turns run at once in this process.</summary>
    public int MaxConcurrentOrchestrations { get; set; } = Environment.ProcessorCount * 10;

    /// <summary>Gets or sets how long a worker owns a work item before another may take it; running activities renew theirs.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the longest pause between polls when idle; work started in this process wakes workers at once.</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets or sets how many running orchestrations keep their state in memory between turns, sparing a replay.</summary>
    public int MaxCachedOrchestrations { get; set; } = 1024;

    /// <summary>Gets or sets whether, at start, locks held by processes on this machine that no longer exist are released at once rather than after their lease.</summary>
    public bool ReleaseLocksOfDeadProcesses { get; set; } = true;

    /// <summary>Gets or sets what a committed turn survives; see <see cref="TaskHubDurability"/>.</summary>
    public TaskHubDurability Durability { get; set; } = TaskHubDurability.Normal;

    /// <summary>Gets or sets the converter of inputs, outputs, event payloads and custom status; the Durable Task SDK's default unless set.</summary>
    public DataConverter DataConverter { get; set; } = JsonDataConverter.Default;

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
        ArgumentNullException.ThrowIfNull(DataConverter);
        if (!Enum.IsDefined(Durability))
        {
            throw new ArgumentOutOfRangeException(nameof(Durability), Durability, "Durability is Normal or Full.");
        }
    }
}
