using DurableMigration.Client;
using DurableMigration.Orchestration;

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

        var error = await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => harness.StartAsync("Waiter", "y", "wave-1"));

        Assert.Equal("wave-1", error.InstanceId);
        Assert.Contains("already exists", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithTheIdOfAFinishedInstance_StartsItAfresh()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        var first = await harness.RunAsync("Quick", "first", "again");

        var second = await harness.RunAsync("Quick", "second", "again");

        Assert.Equal("\"first\"", first.SerializedOutput);
        Assert.Equal("\"second\"", second.SerializedOutput);
        var history = await harness.Client.GetInstanceHistoryAsync("again");
        Assert.Single(history, e => e.EventType == "ExecutionStarted");
    }

    [Fact]
    public async Task Start_WithAStartTime_StaysPendingUntilThen()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        string id = await harness.Client.ScheduleNewOrchestrationInstanceAsync(
            "Quick", "later", new StartOrchestrationOptions { StartAt = DateTime.UtcNow.AddMilliseconds(600) });

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
                    return await ctx.CallSubOrchestratorAsync<string>("Child", "x", new SubOrchestrationOptions("the-child"));
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
    public async Task Commands_ToAFinishedInstance_AreRefusedAsNotRunning()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        var done = await harness.RunAsync("Quick", "x");

        await Assert.ThrowsAsync<OrchestrationNotRunningException>(() => harness.Client.RaiseEventAsync(done.InstanceId, "Go"));
        await Assert.ThrowsAsync<OrchestrationNotRunningException>(() => harness.Client.TerminateInstanceAsync(done.InstanceId));
    }

    [Fact]
    public async Task Commands_ToAnUnknownInstance_AreRefusedAsNotFound()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);

        var error = await Assert.ThrowsAsync<OrchestrationNotFoundException>(() => harness.Client.RaiseEventAsync("nope", "Go"));

        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<OrchestrationNotFoundException>(() => harness.Client.WaitForInstanceCompletionAsync("nope"));
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
        Assert.Empty(await harness.Client.GetInstanceHistoryAsync(done.InstanceId));
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
    public async Task Query_FiltersByStatusNameAndPrefix_AndPagesThroughEverything()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);
        for (int i = 0; i < 7; i++)
        {
            await harness.RunAsync("Quick", "q", $"wave-a-{i}");
        }

        await harness.StartAsync("Waiter", "w", "wave-b-0");

        var completed = await harness.Client.GetAllInstancesAsync(new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Completed] });
        var waiters = await harness.Client.GetAllInstancesAsync(new OrchestrationQuery { Name = "Waiter" });
        var seen = new List<string>();
        string? token = null;
        int pages = 0;
        do
        {
            var page = await harness.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = "wave-a-", PageSize = 3, ContinuationToken = token });
            seen.AddRange(page.Instances.Select(i => i.InstanceId));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(7, completed.Instances.Count);
        Assert.Equal("wave-b-0", Assert.Single(waiters.Instances).InstanceId);
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"wave-a-{i}").Order(), seen.Order());
    }

    [Fact]
    public async Task Query_WithAForeignContinuationToken_IsRejected()
    {
        await using var harness = await EngineHarness.StartAsync(RegisterWaiter);

        await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.GetAllInstancesAsync(new OrchestrationQuery { ContinuationToken = "not-a-token!" }));
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
