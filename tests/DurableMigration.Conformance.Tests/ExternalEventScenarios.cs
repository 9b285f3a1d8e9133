using System.Diagnostics;
using DurableMigration.Conformance.Tests.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Conformance.Tests;

/// <summary>External events: buffering, ordering, name matching, waiter selection, dead instances.</summary>
public sealed class ExternalEventScenarios : ConformanceScenario
{
    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task ExternalEvent_RaisedBeforeTheOrchestratorWaits_IsBuffered(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<string>("LateListener", async ctx =>
            {
                ctx.SetCustomStatus("sleeping");
                await ctx.CreateTimer(TimeSpan.FromMilliseconds(500), CancellationToken.None);
                return await ctx.WaitForExternalEvent<string>("Data");
            }));
        string id = NewId();
        await host.Client.ScheduleNewOrchestrationInstanceAsync("LateListener", new StartOrchestrationOptions(id));

        await WaitForCustomStatusAsync(host.Client, id, "sleeping");
        await host.Client.RaiseEventAsync(id, "Data", "early");
        OrchestrationMetadata result = await WaitForCompletionAsync(host.Client, id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("early", result.ReadOutputAs<string>());
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task ExternalEvent_RaisedRightAfterScheduling_IsDeliveredToTheFirstWait(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<string>("Listener", ctx => ctx.WaitForExternalEvent<string>("Data")));
        string id = NewId();

        // No wait for the first turn: the event may reach the hub before the instance has run at all.
        await host.Client.ScheduleNewOrchestrationInstanceAsync("Listener", new StartOrchestrationOptions(id));
        await host.Client.RaiseEventAsync(id, "Data", "immediate");
        OrchestrationMetadata result = await WaitForCompletionAsync(host.Client, id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("immediate", result.ReadOutputAs<string>());
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task ExternalEvents_WithOneName_AreDeliveredInRaiseOrder(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<int, List<int>>("Collector", async (ctx, count) =>
            {
                ctx.SetCustomStatus("collecting");
                // Let several events pile up first, then take them one by one.
                await ctx.CreateTimer(TimeSpan.FromMilliseconds(300), CancellationToken.None);
                List<int> items = [];
                for (int i = 0; i < count; i++)
                {
                    items.Add(await ctx.WaitForExternalEvent<int>("Item"));
                }

                return items;
            }));
        string id = NewId();
        await host.Client.ScheduleNewOrchestrationInstanceAsync("Collector", 5, new StartOrchestrationOptions(id));

        await WaitForCustomStatusAsync(host.Client, id, "collecting");
        for (int item = 1; item <= 5; item++)
        {
            await host.Client.RaiseEventAsync(id, "Item", item);
        }

        OrchestrationMetadata result = await WaitForCompletionAsync(host.Client, id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal([1, 2, 3, 4, 5], result.ReadOutputAs<List<int>>()!);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task ExternalEvent_NameDifferingOnlyInCase_IsDelivered(string runtime)
    {
        // Microsoft's SDK keys waiters and its event buffer with StringComparer.OrdinalIgnoreCase:
        // "APPROVAL" satisfies WaitForExternalEvent("Approval").
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<string>("CaseListener", async ctx =>
            {
                ctx.SetCustomStatus("listening");
                using CancellationTokenSource cts = new();
                Task<string> approval = ctx.WaitForExternalEvent<string>("Approval", cts.Token);
                Task giveUp = ctx.CreateTimer(TimeSpan.FromSeconds(10), cts.Token);
                Task winner = await Task.WhenAny(approval, giveUp);
                cts.Cancel();
                return winner == approval ? await approval : "not-delivered";
            }));
        string id = NewId();
        await host.Client.ScheduleNewOrchestrationInstanceAsync("CaseListener", new StartOrchestrationOptions(id));

        await WaitForCustomStatusAsync(host.Client, id, "listening");
        await host.Client.RaiseEventAsync(id, "APPROVAL", "yes");
        OrchestrationMetadata result = await WaitForCompletionAsync(host.Client, id);

        Assert.Equal("yes", result.ReadOutputAs<string>());
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task WhenAnyLoop_EventGoesToTheNewestWaiterNotTheAbandonedOne(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<string>("Retrier", async ctx =>
            {
                for (int round = 1; round <= 3; round++)
                {
                    ctx.SetCustomStatus($"round-{round}");

                    // Deliberately no cancellation of the waiter: round 1's stays registered after its timer wins.
                    Task<string> go = ctx.WaitForExternalEvent<string>("Go");
                    TimeSpan wait = round == 1 ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(30);
                    using CancellationTokenSource timerCts = new();
                    Task timeout = ctx.CreateTimer(wait, timerCts.Token);
                    if (await Task.WhenAny(go, timeout) == go)
                    {
                        timerCts.Cancel(); // an outstanding timer would hold completion back until it fires
                        return $"round-{round}:{await go}";
                    }
                }

                return "gave-up";
            }));
        string id = NewId();
        await host.Client.ScheduleNewOrchestrationInstanceAsync("Retrier", new StartOrchestrationOptions(id));

        Stopwatch elapsed = Stopwatch.StartNew();
        await WaitForCustomStatusAsync(host.Client, id, "round-2");
        await host.Client.RaiseEventAsync(id, "Go", "now");
        OrchestrationMetadata result = await WaitForCompletionAsync(host.Client, id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("round-2:now", result.ReadOutputAs<string>());
        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(20), $"completed only after {elapsed.Elapsed}: the event did not end round 2");
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task RaiseEvent_ToACompletedInstance_IsSilentlyDropped(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<string, string>("Done", (_, input) => input));
        string id = NewId();
        await RunAsync(host.Client, "Done", "finished", id);

        // Microsoft's client returns normally; the hub drops the event.
        await host.Client.RaiseEventAsync(id, "Late", "ignored");
        await Task.Delay(200);
        OrchestrationMetadata? after = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);

        Assert.NotNull(after);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, after.RuntimeStatus);
        Assert.Equal("finished", after.ReadOutputAs<string>());
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task RaiseEvent_ToAnUnknownInstance_DoesNotThrowAndCreatesNothing(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, _ => { });
        string id = NewId("unknown");

        // Microsoft's client returns normally: no exception for an instance that does not exist.
        await host.Client.RaiseEventAsync(id, "Anything", "ignored");
        await Task.Delay(200);

        Assert.Null(await host.Client.GetInstanceAsync(id));
    }
}
