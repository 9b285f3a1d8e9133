namespace DurableMigration.Orchestration;

/// <summary>A durable retry policy, as Durable Functions' <c>RetryPolicy</c>: attempts, first interval, backoff and caps.</summary>
/// <remarks>Retries wait on durable timers, so a host crash between attempts loses nothing.</remarks>
public sealed class RetryPolicy
{
    /// <summary>Initializes a retry policy.</summary>
    /// <param name="maxNumberOfAttempts">Total attempts including the first; at least 1.</param>
    /// <param name="firstRetryInterval">Delay before the second attempt; positive.</param>
    /// <param name="backoffCoefficient">Factor applied to the delay after each retry; at least 1.</param>
    /// <param name="maxRetryInterval">Upper bound of one delay; defaults to one hour.</param>
    /// <param name="retryTimeout">Stop retrying once this much time has passed since the first attempt; defaults to no limit.</param>
    public RetryPolicy(
        int maxNumberOfAttempts,
        TimeSpan firstRetryInterval,
        double backoffCoefficient = 1.0,
        TimeSpan? maxRetryInterval = null,
        TimeSpan? retryTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNumberOfAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(firstRetryInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(backoffCoefficient, 1.0);
        if (maxRetryInterval is { } max && max < firstRetryInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(maxRetryInterval), max, "The maximum retry interval must not be shorter than the first retry interval.");
        }

        MaxNumberOfAttempts = maxNumberOfAttempts;
        FirstRetryInterval = firstRetryInterval;
        BackoffCoefficient = backoffCoefficient;
        MaxRetryInterval = maxRetryInterval ?? TimeSpan.FromHours(1);
        RetryTimeout = retryTimeout ?? Timeout.InfiniteTimeSpan;
    }

    /// <summary>Gets the total number of attempts, including the first.</summary>
    public int MaxNumberOfAttempts { get; }

    /// <summary>Gets the delay before the second attempt.</summary>
    public TimeSpan FirstRetryInterval { get; }

    /// <summary>Gets the factor applied to the delay after each retry.</summary>
    public double BackoffCoefficient { get; }

    /// <summary>Gets the upper bound of one delay.</summary>
    public TimeSpan MaxRetryInterval { get; }

    /// <summary>Gets how long after the first attempt retrying stops, or <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    public TimeSpan RetryTimeout { get; }

    /// <summary>Gets or sets a filter deciding whether a failure is worth retrying; by default every failure is.</summary>
    public Func<TaskFailureDetails, bool>? HandleFailure { get; init; }

    /// <summary>Computes the delay after failed attempt <paramref name="attempt"/> (1-based), or <c>null</c> when no retry remains or the failure is non-retriable.</summary>
    /// <param name="attempt">The number of the attempt that just failed.</param>
    /// <param name="elapsed">Time since the first attempt started.</param>
    /// <param name="failure">The failure of that attempt.</param>
    public TimeSpan? NextDelay(int attempt, TimeSpan elapsed, TaskFailureDetails failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (attempt >= MaxNumberOfAttempts || failure.IsNonRetriable || (HandleFailure is { } handle && !handle(failure)))
        {
            return null;
        }

        double factor = Math.Pow(BackoffCoefficient, attempt - 1);
        double ticks = Math.Min(FirstRetryInterval.Ticks * factor, MaxRetryInterval.Ticks);
        var delay = TimeSpan.FromTicks((long)ticks);
        if (RetryTimeout != Timeout.InfiniteTimeSpan && elapsed + delay > RetryTimeout)
        {
            return null;
        }

        return delay;
    }
}
