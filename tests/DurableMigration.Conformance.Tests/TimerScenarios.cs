using System.Diagnostics;
using DurableMigration.Conformance.Tests.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Conformance.Tests;

/// <summary>Durable timers still outstanding when the orchestrator returns.</summary>
public sealed class TimerScenarios : ConformanceScenario
{
    static void RegisterReturnsEarly(DurableTaskRegistry r) =>
        r.AddOrchestratorFunc<int, string>("ReturnsEarly", (ctx, timerMs) =>
        {
            // timerMs > 0: leave a timer outstanding; < 0: create one of |timerMs| and cancel it.
            using CancellationTokenSource cts = new();
            _ = ctx.CreateTimer(TimeSpan.FromMilliseconds(Math.Abs(timerMs)), cts.Token);
            if (timerMs < 0)
            {
                cts.Cancel();
            }

            return Task.FromResult("done");
        });

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Timer_OutstandingWhenTheOrchestratorReturns_HoldsCompletionUntilItFires(string runtime)
    {
        // Durable Task semantics (documented for Durable Functions timers): an instance is not marked
        // completed while a durable timer it created is neither fired nor cancelled.
        await using IConformanceHost host = await StartAsync(runtime, RegisterReturnsEarly);
        string id = NewId();
        Stopwatch elapsed = Stopwatch.StartNew();
        await host.Client.ScheduleNewOrchestrationInstanceAsync("ReturnsEarly", 1_500, new StartOrchestrationOptions(id));

        await Task.Delay(500);
        OrchestrationMetadata? meanwhile = await host.Client.GetInstanceAsync(id);
        OrchestrationMetadata result = await WaitForCompletionAsync(host.Client, id);

        Assert.NotNull(meanwhile);
        Assert.False(meanwhile.IsCompleted, $"{meanwhile.RuntimeStatus} while its timer was outstanding");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("done", result.ReadOutputAs<string>());
        Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(1_500), $"completed after {elapsed.Elapsed}, before its timer was due");
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Timer_CancelledBeforeTheOrchestratorReturns_LetsItCompleteAtOnce(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, RegisterReturnsEarly);
        Stopwatch elapsed = Stopwatch.StartNew();

        OrchestrationMetadata result = await RunAsync(host.Client, "ReturnsEarly", -30_000);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("done", result.ReadOutputAs<string>());
        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(20), $"completed only after {elapsed.Elapsed}");
    }
}
