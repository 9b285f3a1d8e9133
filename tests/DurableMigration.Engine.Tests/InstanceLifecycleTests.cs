using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using CoreHistory = DurableTask.Core.History;

namespace DurableMigration.Engine.Tests;

/// <summary>The client's commands and queries: start conflicts, terminate, suspend/resume, purge and listing.</summary>
public sealed class InstanceLifecycleTests
{
    private static void RegisterWaiter(DurableTaskRegistry registry) => registry
        .AddOrchestratorFunc<string, string>("Waiter", (ctx, _) => ctx.WaitForExternalEvent<string>("Go"))
        .AddOrchestratorFunc<string, string>("Quick", (_, s) => Task.FromResult(s));

    [Fact]
    public async Task Start_WithTheIdOfARunningInstance_IsAConflict()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        await harness.StartAsync("Waiter", "x", "wave-1");

        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => harness.StartAsync("Waiter", "y", "wave-1"));

        Assert.Contains("'wave-1' already exists", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithTheIdOfAFinishedInstance_StartsItAfresh()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        var first = await harness.RunAsync("Quick", "first", "again");

        var second = await harness.RunAsync("Quick", "second", "again");

        Assert.Equal("\"first\"", first.SerializedOutput);
        Assert.Equal("\"second\"", second.SerializedOutput);
        var history = await harness.HistoryAsync("again");
        Assert.Single(history, e => e.EventType == CoreHistory.EventType.ExecutionStarted);
    }

    [Fact]
    public async Task Start_WithAStartTime_StaysPendingUntilThen()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        string id = await harness.Client.ScheduleNewOrchestrationInstanceAsync(
            "Quick", "later", new StartOrchestrationOptions(StartAt: DateTimeOffset.UtcNow.AddMilliseconds(600)));

        var pending = await harness.Client.GetInstanceAsync(id);
        var done = await harness.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Pending, pending!.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
    }

    [Fact]
    public async Task Terminate_StopsARunningInstanceWithTheGivenReason()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        string id = await harness.StartAsync("Waiter", "x");
        await harness.WaitUntilAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Running);

        await harness.Client.TerminateInstanceAsync(id, "operator cancelled");
        var result = await harness.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, result.RuntimeStatus);
        Assert.Equal("\"operator cancelled\"", result.SerializedOutput);
    }

    [Fact]
    public async Task Terminate_OfASubOrchestration_FailsTheParentTask()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("Child", (ctx, _) => ctx.WaitForExternalEvent<string>("Never"))
            .AddOrchestratorFunc<string, string>("Parent", async (ctx, _) =>
            {
                try
                {
                    return await ctx.CallSubOrchestratorAsync<string>("Child", "x", new SubOrchestrationOptions(retry: null, instanceId: "the-child"));
                }
                catch (TaskFailedException ex)
                {
                    return ex.FailureDetails.ErrorMessage;
                }
            }));
        string id = await harness.StartAsync("Parent", "x");
        await harness.WaitUntilAsync("the-child", m => m.RuntimeStatus == OrchestrationRuntimeStatus.Running);

        await harness.Client.TerminateInstanceAsync("the-child", "stop");
        var result = await harness.WaitAsync(id);

        Assert.Contains("was terminated", result.SerializedOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_ToAFinishedInstance_AreDroppedSilently()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        var done = await harness.RunAsync("Quick", "x");

        await harness.Client.RaiseEventAsync(done.InstanceId, "Go");
        await harness.Client.TerminateInstanceAsync(done.InstanceId, "too late");
        await harness.Client.SuspendInstanceAsync(done.InstanceId);
        await harness.Client.ResumeInstanceAsync(done.InstanceId);

        var after = await harness.Client.GetInstanceAsync(done.InstanceId, getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, after!.RuntimeStatus);
        Assert.Equal("\"x\"", after.SerializedOutput);
        Assert.Equal(0L, await harness.QueuedMessagesAsync(done.InstanceId)); // nothing left queued for it
    }

    [Fact]
    public async Task Commands_ToAnUnknownInstance_AreDroppedSilently()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);

        await harness.Client.RaiseEventAsync("nope", "Go");
        await harness.Client.TerminateInstanceAsync("nope");
        await harness.Client.SuspendInstanceAsync("nope");
        await harness.Client.ResumeInstanceAsync("nope");

        Assert.Null(await harness.Client.GetInstanceAsync("nope"));
        Assert.Equal(0L, await harness.QueuedMessagesAsync("nope"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Client.WaitForInstanceCompletionAsync("nope"));
        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Suspend_HoldsEventsUntilResume()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        string id = await harness.StartAsync("Waiter", "x");
        await harness.WaitUntilAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Running);

        await harness.Client.SuspendInstanceAsync(id, "maintenance");
        await harness.WaitUntilAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Suspended);
        await harness.Client.RaiseEventAsync(id, "Go", "held");
        // The event must stay queued: after a full polling round trip the instance is still suspended and unfinished.
        string probe = await harness.StartAsync("Quick", "probe");
        await harness.WaitAsync(probe);
        var whileSuspended = await harness.Client.GetInstanceAsync(id);
        await harness.Client.ResumeInstanceAsync(id, "done");
        var result = await harness.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Suspended, whileSuspended!.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("\"held\"", result.SerializedOutput);
    }

    [Fact]
    public async Task Purge_RemovesAFinishedInstanceAndItsHistory()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        var done = await harness.RunAsync("Quick", "x");

        var purged = await harness.Client.PurgeInstanceAsync(done.InstanceId);

        Assert.Equal(1, purged.PurgedInstanceCount);
        Assert.Null(await harness.Client.GetInstanceAsync(done.InstanceId));
        Assert.Empty(await harness.HistoryAsync(done.InstanceId));
    }

    [Fact]
    public async Task Purge_LeavesARunningInstanceAlone()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        string id = await harness.StartAsync("Waiter", "x");

        var purged = await harness.Client.PurgeInstanceAsync(id);

        Assert.Equal(0, purged.PurgedInstanceCount);
        Assert.NotNull(await harness.Client.GetInstanceAsync(id));
    }

    [Fact]
    public async Task PurgeAll_RemovesOnlyTheStatusesAsked()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        await harness.RunAsync("Quick", "a", "done-1");
        await harness.RunAsync("Quick", "b", "done-2");
        string running = await harness.StartAsync("Waiter", "x", "running-1");
        await harness.Client.TerminateInstanceAsync(running);
        await harness.WaitAsync(running);

        var purged = await harness.Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(Statuses: [OrchestrationRuntimeStatus.Completed]));

        Assert.Equal(2, purged.PurgedInstanceCount);
        Assert.NotNull(await harness.Client.GetInstanceAsync("running-1"));
    }

    [Fact]
    public async Task Query_FiltersByStatusAndPrefix_AndPagesThroughEverything()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        for (int i = 0; i < 7; i++)
        {
            await harness.RunAsync("Quick", "q", $"wave-a-{i}");
        }

        await harness.StartAsync("Waiter", "w", "wave-b-0");

        var completed = await harness.QueryAsync(new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Completed] });
        var waiters = await harness.QueryAsync(new OrchestrationQuery { InstanceIdPrefix = "wave-b-" });
        var seen = new List<string>();
        var tokens = new List<string?>();
        await foreach (var page in harness.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = "wave-a-" }).AsPages(pageSizeHint: 3))
        {
            seen.AddRange(page.Values.Select(i => i.InstanceId));
            tokens.Add(page.ContinuationToken);
        }

        // A continuation token resumes where its page ended.
        var rest = new List<string>();
        await foreach (var page in harness.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = "wave-a-" }).AsPages(tokens[0], 3))
        {
            rest.AddRange(page.Values.Select(i => i.InstanceId));
        }

        Assert.Equal(7, completed.Count);
        Assert.Equal("wave-b-0", Assert.Single(waiters).InstanceId);
        Assert.Equal(3, tokens.Count);
        Assert.Null(tokens[^1]);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"wave-a-{i}").Order(), seen.Order());
        Assert.Equal(seen.Skip(3), rest);
    }

    [Fact]
    public async Task Query_WithAForeignContinuationToken_IsRejected()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);

        await Assert.ThrowsAsync<ArgumentException>(() => harness.QueryAsync(new OrchestrationQuery { ContinuationToken = "not-a-token!" }));
    }

    [Fact]
    public async Task GetInstance_WithoutInputsAndOutputs_LeavesPayloadsOut()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        var done = await harness.RunAsync("Quick", "payload");

        var slim = await harness.Client.GetInstanceAsync(done.InstanceId);
        var full = await harness.Client.GetInstanceAsync(done.InstanceId, getInputsAndOutputs: true);

        Assert.Null(slim!.SerializedInput);
        Assert.Equal("\"payload\"", full!.SerializedInput);
        Assert.Equal("Quick", full.Name);
        Assert.True(full.LastUpdatedAt >= full.CreatedAt);
    }
}
