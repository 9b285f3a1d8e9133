using DurableMigration.Conformance.Tests.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Conformance.Tests;

/// <summary>Terminate, suspend and resume, and ContinueAsNew.</summary>
public sealed class LifecycleScenarios : ConformanceScenario
{
    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Terminate_WhileAnActivityRuns_EndsTerminatedAndIgnoresTheLateResult(string runtime)
    {
        TaskCompletionSource activityStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskCompletionSource releaseActivity = new(TaskCreationOptions.RunContinuationsAsynchronously);
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            r.AddActivityFunc<string, string>("Slow", async (_, input) =>
            {
                activityStarted.TrySetResult();
                await releaseActivity.Task;
                return input;
            });
            r.AddOrchestratorFunc<string>("CallsSlow", ctx => ctx.CallActivityAsync<string>("Slow", "late"));
        });
        string id = NewId();
        OrchestrationMetadata terminated;
        try
        {
            await host.Client.ScheduleNewOrchestrationInstanceAsync("CallsSlow", new StartOrchestrationOptions(id));
            await activityStarted.Task.WaitAsync(Timeout);

            await host.Client.TerminateInstanceAsync(id, "stopped by operator");
            terminated = await WaitForCompletionAsync(host.Client, id);
        }
        finally
        {
            releaseActivity.TrySetResult(); // also on failure, so the host can stop
        }

        await Task.Delay(300);
        OrchestrationMetadata? after = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, terminated.RuntimeStatus);
        Assert.Equal("stopped by operator", terminated.ReadOutputAs<string>());
        Assert.Null(terminated.FailureDetails);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, after?.RuntimeStatus);
        Assert.Equal("stopped by operator", after?.ReadOutputAs<string>());
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Terminate_WhileWaitingForAnEvent_EndsTerminatedAndLaterEventsAreDropped(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<string>("Waits", ctx => ctx.WaitForExternalEvent<string>("Never")));
        string id = NewId();
        await host.Client.ScheduleNewOrchestrationInstanceAsync("Waits", new StartOrchestrationOptions(id));
        await WaitForStartAsync(host.Client, id);

        await host.Client.TerminateInstanceAsync(id);
        OrchestrationMetadata terminated = await WaitForCompletionAsync(host.Client, id);
        await host.Client.RaiseEventAsync(id, "Never", "too late");
        await Task.Delay(200);
        OrchestrationMetadata? after = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, terminated.RuntimeStatus);
        // Terminate without a reason: no output at all.
        Assert.Null(terminated.SerializedOutput);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, after?.RuntimeStatus);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Terminate_ACompletedInstance_IsANoOp(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<string, string>("Done", (_, input) => input));
        string id = NewId();
        await RunAsync(host.Client, "Done", "finished", id);

        // Microsoft's client returns normally; the instance keeps its status and output.
        await host.Client.TerminateInstanceAsync(id, "too late");
        await Task.Delay(200);
        OrchestrationMetadata? after = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, after?.RuntimeStatus);
        Assert.Equal("finished", after?.ReadOutputAs<string>());
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Terminate_AnUnknownInstance_DoesNotThrowAndCreatesNothing(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, _ => { });
        string id = NewId("unknown");

        // Microsoft's client returns normally for terminate, suspend and resume of an unknown id.
        await host.Client.TerminateInstanceAsync(id, "nothing there");
        await host.Client.SuspendInstanceAsync(id, "nothing there");
        await host.Client.ResumeInstanceAsync(id, "nothing there");
        await Task.Delay(200);

        Assert.Null(await host.Client.GetInstanceAsync(id));
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Terminate_WithAStructuredReason_StoresItAsTheOutput(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<string>("Waits", ctx => ctx.WaitForExternalEvent<string>("Never")));
        string id = NewId();
        await host.Client.ScheduleNewOrchestrationInstanceAsync("Waits", new StartOrchestrationOptions(id));
        await WaitForStartAsync(host.Client, id);

        await host.Client.TerminateInstanceAsync(id, new { Reason = "rollback", Code = 7 });
        OrchestrationMetadata terminated = await WaitForCompletionAsync(host.Client, id);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, terminated.RuntimeStatus);
        Assert.Equal("""{"Reason":"rollback","Code":7}""", terminated.SerializedOutput);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task SuspendAndResume_EventArrivingWhileSuspended_IsProcessedAfterResume(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<string>("Pausable", async ctx =>
            {
                ctx.SetCustomStatus("waiting");
                string data = await ctx.WaitForExternalEvent<string>("Data");
                return $"got {data}";
            }));
        string id = NewId();
        await host.Client.ScheduleNewOrchestrationInstanceAsync("Pausable", new StartOrchestrationOptions(id));
        await WaitForCustomStatusAsync(host.Client, id, "waiting");

        await host.Client.SuspendInstanceAsync(id, "maintenance");
        await WaitUntilAsync(host.Client, id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Suspended, "Suspended");
        await host.Client.RaiseEventAsync(id, "Data", "payload");
        await Task.Delay(300);
        OrchestrationMetadata? whileSuspended = await host.Client.GetInstanceAsync(id);
        await host.Client.ResumeInstanceAsync(id, "maintenance over");
        OrchestrationMetadata result = await WaitForCompletionAsync(host.Client, id);

        Assert.Equal(OrchestrationRuntimeStatus.Suspended, whileSuspended?.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("got payload", result.ReadOutputAs<string>());
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task ContinueAsNew_RestartsWithTheNewInputUntilDone(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<int, int>("Counter", async (ctx, n) =>
            {
                if (n < 3)
                {
                    await ctx.CreateTimer(TimeSpan.FromMilliseconds(10), CancellationToken.None);
                    ctx.ContinueAsNew(n + 1);
                    return -1; // ignored: the instance restarts with n + 1
                }

                return n * 10;
            }));

        OrchestrationMetadata result = await RunAsync(host.Client, "Counter", 0);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(30, result.ReadOutputAs<int>());
        // The metadata's input is the last generation's.
        Assert.Equal(3, result.ReadInputAs<int>());
    }

    [Theory]
    [MemberData(nameof(Runtimes.AllExcept), Runtimes.InProc, MemberType = typeof(Runtimes))]
    [SkipOnRuntime(Runtimes.InProc, "Microsoft's in-process runtime loses the events the SDK forwards on ContinueAsNew(preserveUnprocessedEvents: true): generation 1 never receives them (same batch, separate turns, or while on a timer).")]
    public async Task ContinueAsNew_PreservingUnprocessedEvents_CarriesThemToTheNextGeneration(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r => RegisterGenerations(r, preserve: true));

        string output = await RunGenerationsAsync(host.Client);

        Assert.Equal("gen-1 got kept", output);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task ContinueAsNew_WithoutPreservingEvents_DropsTheUnprocessedOnes(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r => RegisterGenerations(r, preserve: false));

        string output = await RunGenerationsAsync(host.Client);

        Assert.Equal("gen-1 got nothing", output);
    }

    /// <summary>Generation 0 waits for "Advance" and leaves "Data" unprocessed; generation 1 waits briefly for "Data".</summary>
    static void RegisterGenerations(DurableTaskRegistry r, bool preserve) =>
        r.AddOrchestratorFunc<int, string>("Generations", async (ctx, generation) =>
        {
            if (generation == 0)
            {
                ctx.SetCustomStatus("gen-0");
                await ctx.WaitForExternalEvent<string>("Advance");
                ctx.ContinueAsNew(1, preserveUnprocessedEvents: preserve);
                return "unused";
            }

            using CancellationTokenSource cts = new();
            Task<string> data = ctx.WaitForExternalEvent<string>("Data", cts.Token);
            Task giveUp = ctx.CreateTimer(TimeSpan.FromMilliseconds(preserve ? 10_000 : 1_000), cts.Token);
            Task winner = await Task.WhenAny(data, giveUp);
            cts.Cancel();
            return winner == data ? $"gen-1 got {await data}" : "gen-1 got nothing";
        });

    static async Task<string> RunGenerationsAsync(DurableTaskClient client)
    {
        string id = NewId();
        await client.ScheduleNewOrchestrationInstanceAsync("Generations", 0, new StartOrchestrationOptions(id));
        await WaitForCustomStatusAsync(client, id, "gen-0");
        await client.RaiseEventAsync(id, "Data", "kept");
        await Task.Delay(100); // let generation 0 buffer "Data" in a turn of its own
        await client.RaiseEventAsync(id, "Advance", "go");
        OrchestrationMetadata result = await WaitForCompletionAsync(client, id);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        return result.ReadOutputAs<string>()!;
    }
}
