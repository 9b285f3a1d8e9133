using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.SqlServer;

/// <summary>Retries a statement on the transient-error whitelist (<see cref="SqlServerErrors.IsTransient"/>) with bounded, jittered exponential backoff and one log line per retry.</summary>
internal static class SqlServerRetry
{
    /// <summary>Runs <paramref name="attempt"/>, retrying while <paramref name="errorNumber"/> finds a whitelisted error number and retries remain.</summary>
    /// <typeparam name="T">The attempt's result.</typeparam>
    /// <param name="attempt">One try.</param>
    /// <param name="errorNumber">The SQL Server error number of a failure, or <c>null</c> for a failure that is not a server error (never retried).</param>
    /// <param name="options">Retry counts and delays.</param>
    /// <param name="logger">Where the retry lines go.</param>
    /// <param name="query">The statement's name, for the log.</param>
    /// <param name="database">The database's name in the wave, for the log.</param>
    /// <param name="delay">Waits between tries (<see cref="Task.Delay(TimeSpan, CancellationToken)"/> outside tests).</param>
    /// <param name="cancellationToken">Cancels the tries and the waits.</param>
    /// <returns>The first successful try's result; the last failure propagates unchanged.</returns>
    public static async Task<T> RunAsync<T>(
        Func<CancellationToken, Task<T>> attempt,
        Func<Exception, int?> errorNumber,
        SqlServerQueryRunnerOptions options,
        ILogger logger,
        string query,
        string database,
        Func<TimeSpan, CancellationToken, Task> delay,
        CancellationToken cancellationToken = default)
    {
        for (int retry = 0; ; retry++)
        {
            int? number = null;
            try
            {
                return await attempt(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (retry < options.MaxRetries
                && !cancellationToken.IsCancellationRequested
                && (number = errorNumber(ex)) is int n
                && SqlServerErrors.IsTransient(n))
            {
                TimeSpan wait = Backoff(retry, options, Random.Shared.NextDouble());
                SqlServerLogs.Retrying(logger, query, database, number.Value, retry + 1, options.MaxRetries, (long)wait.TotalMilliseconds);
                await delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The wait before retry <paramref name="retry"/> (from 0): <see cref="SqlServerQueryRunnerOptions.RetryBaseDelay"/> doubled per retry, capped at <see cref="SqlServerQueryRunnerOptions.RetryMaxDelay"/>, then scaled by 0.8 to 1.2 (<paramref name="jitter"/> in [0, 1)).</summary>
    public static TimeSpan Backoff(int retry, SqlServerQueryRunnerOptions options, double jitter)
    {
        double baseMs = options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry, 30));
        double capped = Math.Min(baseMs, options.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + (0.4 * jitter)));
    }
}
