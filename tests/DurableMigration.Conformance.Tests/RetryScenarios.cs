using System.Diagnostics;
using DurableMigration.Conformance.Tests.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Conformance.Tests;

/// <summary>Durable retries: declarative <see cref="RetryPolicy"/> and custom retry handlers.</summary>
public sealed class RetryScenarios : ConformanceScenario
{
    /// <summary>Counts attempts of a flaky activity; activities may have side effects, orchestrators may not.</summary>
    sealed class Attempts
    {
        int count;

        public int Count => Volatile.Read(ref this.count);

        public int Next() => Interlocked.Increment(ref this.count);
    }

    static void RegisterFlaky(DurableTaskRegistry r, Attempts attempts, int succeedOnAttempt, Func<int, Exception> failure) =>
        r.AddActivityFunc<string, int>("Flaky", (_, _) =>
        {
            int attempt = attempts.Next();
            return attempt >= succeedOnAttempt ? attempt : throw failure(attempt);
        });

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task RetryPolicy_WithBackoff_SucceedsOnTheThirdAttempt(string runtime)
    {
        Attempts attempts = new();
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            RegisterFlaky(r, attempts, succeedOnAttempt: 3, a => new InvalidOperationException($"attempt {a}"));
            r.AddOrchestratorFunc<int>("RetryWithBackoff", ctx => ctx.CallActivityAsync<int>(
                "Flaky",
                "x",
                TaskOptions.FromRetryPolicy(new RetryPolicy(
                    maxNumberOfAttempts: 5,
                    firstRetryInterval: TimeSpan.FromMilliseconds(200),
                    backoffCoefficient: 2))));
        });

        Stopwatch elapsed = Stopwatch.StartNew();
        OrchestrationMetadata result = await RunAsync(host.Client, "RetryWithBackoff", null);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(3, result.ReadOutputAs<int>());
        Assert.Equal(3, attempts.Count);
        // Waits of 200 ms then 400 ms between the attempts.
        Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(600), $"backoff of 200 + 400 ms took only {elapsed.Elapsed}");
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task RetryPolicy_ExhaustedAttempts_FailWithTheLastError(string runtime)
    {
        Attempts attempts = new();
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            RegisterFlaky(r, attempts, succeedOnAttempt: int.MaxValue, a => new InvalidOperationException($"attempt {a}"));
            r.AddOrchestratorFunc<int>("RetryTwice", ctx => ctx.CallActivityAsync<int>(
                "Flaky",
                "x",
                TaskOptions.FromRetryPolicy(new RetryPolicy(2, TimeSpan.FromMilliseconds(50)))));
        });

        OrchestrationMetadata result = await RunAsync(host.Client, "RetryTwice", null);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(2, attempts.Count);
        TaskFailureDetails inner = Assert.IsType<TaskFailureDetails>(result.FailureDetails?.InnerFailure);
        Assert.Equal("System.InvalidOperationException", inner.ErrorType);
        Assert.Equal("attempt 2", inner.ErrorMessage);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task RetryPolicy_HandleRefusingTheFailureType_DoesNotRetry(string runtime)
    {
        Attempts attempts = new();
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            RegisterFlaky(r, attempts, succeedOnAttempt: 3, a => new ArgumentException($"attempt {a}"));
            r.AddOrchestratorFunc<string>("RetryOnlyInvalidOperation", async ctx =>
            {
                RetryPolicy policy = new(5, TimeSpan.FromMilliseconds(50))
                {
                    HandleFailure = failure => failure.IsCausedBy<InvalidOperationException>(),
                };
                try
                {
                    await ctx.CallActivityAsync<int>("Flaky", "x", TaskOptions.FromRetryPolicy(policy));
                    return "succeeded";
                }
                catch (TaskFailedException e)
                {
                    return $"{e.FailureDetails.ErrorType}: {e.FailureDetails.ErrorMessage}";
                }
            });
        });

        OrchestrationMetadata result = await RunAsync(host.Client, "RetryOnlyInvalidOperation", null);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("System.ArgumentException: attempt 1", result.ReadOutputAs<string>());
        Assert.Equal(1, attempts.Count);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task RetryHandler_Async_DecidesEachRetryWithTheLastFailure(string runtime)
    {
        Attempts attempts = new();
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            RegisterFlaky(r, attempts, succeedOnAttempt: 3, a => new TimeoutException($"attempt {a}"));
            r.AddOrchestratorFunc<List<string>>("RetryByHandler", async ctx =>
            {
                List<string> seen = [];
                TaskOptions options = TaskOptions.FromRetryHandler(async retry =>
                {
                    seen.Add($"{retry.LastAttemptNumber}:{retry.LastFailure.ErrorType}:{retry.LastFailure.ErrorMessage}");
                    if (retry.LastAttemptNumber >= 5 || !retry.LastFailure.IsCausedBy<TimeoutException>())
                    {
                        return false;
                    }

                    // A handler may wait durably before the next attempt.
                    await retry.OrchestrationContext.CreateTimer(TimeSpan.FromMilliseconds(100), CancellationToken.None);
                    return true;
                });
                int attempt = await ctx.CallActivityAsync<int>("Flaky", "x", options);
                seen.Add($"succeeded:{attempt}");
                return seen;
            });
        });

        OrchestrationMetadata result = await RunAsync(host.Client, "RetryByHandler", null);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(
            ["1:System.TimeoutException:attempt 1", "2:System.TimeoutException:attempt 2", "succeeded:3"],
            result.ReadOutputAs<List<string>>()!);
        Assert.Equal(3, attempts.Count);
    }
}
