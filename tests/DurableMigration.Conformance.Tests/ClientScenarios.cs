using DurableMigration.Conformance.Tests.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Conformance.Tests;

/// <summary>The management client: get, wait, query, purge, scheduled start, duplicate ids.</summary>
public sealed class ClientScenarios : ConformanceScenario
{
    static void RegisterBasics(DurableTaskRegistry r)
    {
        r.AddOrchestratorFunc<string, string>("Echo", (_, input) => input);
        r.AddOrchestratorFunc<string>("Blocked", ctx => ctx.WaitForExternalEvent<string>("Release"));
        r.AddOrchestratorFunc<string, string>("Fails", Reject);
    }

    static string Reject(TaskOrchestrationContext context, string input) => throw new InvalidOperationException("no");

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task GetInstance_WithoutInputsAndOutputs_LeavesThemNull(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, RegisterBasics);
        string id = NewId();
        await RunAsync(host.Client, "Echo", "hello", id);

        OrchestrationMetadata? bare = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: false);
        OrchestrationMetadata? full = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);

        Assert.NotNull(bare);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, bare.RuntimeStatus);
        Assert.Equal("Echo", bare.Name);
        Assert.Equal(id, bare.InstanceId);
        Assert.Null(bare.SerializedInput);
        Assert.Null(bare.SerializedOutput);
        Assert.NotNull(full);
        Assert.Equal("\"hello\"", full.SerializedInput);
        Assert.Equal("\"hello\"", full.SerializedOutput);
        Assert.True(full.CreatedAt <= full.LastUpdatedAt);
        Assert.Null(await host.Client.GetInstanceAsync(NewId("unknown")));
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task WaitForInstanceStart_ReturnsOnceTheInstanceRuns(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, RegisterBasics);
        string id = NewId();
        await host.Client.ScheduleNewOrchestrationInstanceAsync("Blocked", "in", new StartOrchestrationOptions(id));

        OrchestrationMetadata started = await WaitForStartAsync(host.Client, id);
        await host.Client.RaiseEventAsync(id, "Release", "out");
        OrchestrationMetadata done = await WaitForCompletionAsync(host.Client, id);

        Assert.Equal(OrchestrationRuntimeStatus.Running, started.RuntimeStatus);
        Assert.True(started.IsRunning);
        Assert.Equal("\"in\"", started.SerializedInput);
        Assert.Equal("out", done.ReadOutputAs<string>());
    }

    [Theory]
    [MemberData(nameof(Runtimes.AllExcept), Runtimes.InProc, MemberType = typeof(Runtimes))]
    [SkipOnRuntime(Runtimes.InProc, "Microsoft's in-process sidecar ignores StartAt: its StartInstance drops the scheduled start time and the instance runs at once.")]
    public async Task StartAt_InTheNearFuture_StaysPendingThenRunsAfterIt(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<DateTime>("WhenDidIStart", ctx => Task.FromResult(ctx.CurrentUtcDateTime)));
        string id = NewId();
        DateTimeOffset startAt = DateTimeOffset.UtcNow.AddSeconds(1.5);

        await host.Client.ScheduleNewOrchestrationInstanceAsync(
            "WhenDidIStart", new StartOrchestrationOptions(id, startAt));
        OrchestrationMetadata? early = await host.Client.GetInstanceAsync(id);
        OrchestrationMetadata result = await WaitForCompletionAsync(host.Client, id);

        Assert.Equal(OrchestrationRuntimeStatus.Pending, early?.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.True(result.ReadOutputAs<DateTime>() >= startAt.UtcDateTime, $"started at {result.ReadOutputAs<DateTime>():o}, due {startAt:o}");
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task ScheduleNew_WithDedupeStatusRunning_RefusesTheIdOfARunningInstance(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, RegisterBasics);
        string id = NewId();
        await host.Client.ScheduleNewOrchestrationInstanceAsync("Blocked", "first", new StartOrchestrationOptions(id));
        await WaitForStartAsync(host.Client, id);

        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => host.Client.ScheduleNewOrchestrationInstanceAsync(
            "Blocked",
            "second",
            new StartOrchestrationOptions(id).WithDedupeStatuses(
                OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running)));
        OrchestrationMetadata? after = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);

        // Microsoft's client throws DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException.
        Assert.IsAssignableFrom<InvalidOperationException>(error);
        Assert.Equal(
            $"An orchestration with id '{id}' already exists. It's in the Running state.",
            error.Message);
        Assert.Equal(OrchestrationRuntimeStatus.Running, after?.RuntimeStatus);
        Assert.Equal("first", after?.ReadInputAs<string>());
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task ScheduleNew_WithTheIdOfACompletedInstance_StartsItAfresh(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, RegisterBasics);
        string id = NewId();
        await RunAsync(host.Client, "Echo", "first", id);

        OrchestrationMetadata second = await RunAsync(host.Client, "Echo", "second", id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, second.RuntimeStatus);
        Assert.Equal("second", second.ReadOutputAs<string>());
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task PurgeInstance_RemovesACompletedInstance(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, RegisterBasics);
        string id = NewId();
        await RunAsync(host.Client, "Echo", "x", id);

        PurgeResult first = await host.Client.PurgeInstanceAsync(id);
        OrchestrationMetadata? gone = await host.Client.GetInstanceAsync(id);
        PurgeResult second = await host.Client.PurgeInstanceAsync(id);

        Assert.Equal(1, first.PurgedInstanceCount);
        Assert.Null(gone);
        Assert.Equal(0, second.PurgedInstanceCount);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task PurgeInstance_OfARunningInstance_PurgesNothing(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, RegisterBasics);
        string id = NewId();
        await host.Client.ScheduleNewOrchestrationInstanceAsync("Blocked", new StartOrchestrationOptions(id));
        await WaitForStartAsync(host.Client, id);

        PurgeResult result = await host.Client.PurgeInstanceAsync(id);

        Assert.Equal(0, result.PurgedInstanceCount);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await host.Client.GetInstanceAsync(id))?.RuntimeStatus);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task PurgeByFilter_RemovesOnlyCompletedInstancesCreatedInRange(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, RegisterBasics);
        DateTimeOffset createdFrom = DateTimeOffset.UtcNow.AddSeconds(-1);
        string[] completed = [NewId("done"), NewId("done")];
        foreach (string id in completed)
        {
            await RunAsync(host.Client, "Echo", "x", id);
        }

        string failed = NewId("failed");
        await RunAsync(host.Client, "Fails", "x", failed);
        string running = NewId("running");
        await host.Client.ScheduleNewOrchestrationInstanceAsync("Blocked", new StartOrchestrationOptions(running));
        await WaitForStartAsync(host.Client, running);

        PurgeResult result = await host.Client.PurgeAllInstancesAsync(
            new PurgeInstancesFilter(createdFrom, null, [OrchestrationRuntimeStatus.Completed]));

        Assert.Equal(2, result.PurgedInstanceCount);
        foreach (string id in completed)
        {
            Assert.Null(await host.Client.GetInstanceAsync(id));
        }

        Assert.Equal(OrchestrationRuntimeStatus.Failed, (await host.Client.GetInstanceAsync(failed))?.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await host.Client.GetInstanceAsync(running))?.RuntimeStatus);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Query_ByPrefixAndStatus_ReturnsPagesOfTheRequestedSize(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, RegisterBasics);
        string prefix = $"q{Guid.NewGuid():N}-";
        for (int i = 0; i < 5; i++)
        {
            await RunAsync(host.Client, "Echo", $"{i}", $"{prefix}{i}");
        }

        await RunAsync(host.Client, "Echo", "other", NewId("other"));
        string running = $"{prefix}running";
        await host.Client.ScheduleNewOrchestrationInstanceAsync("Blocked", new StartOrchestrationOptions(running));
        await WaitForStartAsync(host.Client, running);

        List<int> pageSizes = [];
        List<OrchestrationMetadata> completed = [];
        OrchestrationQuery completedQuery = new()
        {
            InstanceIdPrefix = prefix,
            Statuses = [OrchestrationRuntimeStatus.Completed],
            PageSize = 2,
        };
        await foreach (Page<OrchestrationMetadata> page in host.Client.GetAllInstancesAsync(completedQuery).AsPages())
        {
            pageSizes.Add(page.Values.Count);
            completed.AddRange(page.Values);
        }

        List<string> withPrefix = [];
        await foreach (OrchestrationMetadata m in host.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = prefix }))
        {
            withPrefix.Add(m.InstanceId);
        }

        List<string> runningOnly = [];
        await foreach (OrchestrationMetadata m in host.Client.GetAllInstancesAsync(
            new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Running] }))
        {
            runningOnly.Add(m.InstanceId);
        }

        Assert.Equal([2, 2, 1], pageSizes);
        Assert.Equal(
            Enumerable.Range(0, 5).Select(i => $"{prefix}{i}").Order(),
            completed.Select(m => m.InstanceId).Order());
        Assert.All(completed, m => Assert.Equal(OrchestrationRuntimeStatus.Completed, m.RuntimeStatus));
        Assert.Equal(6, withPrefix.Count);
        Assert.Contains(running, withPrefix);
        Assert.Equal([running], runningOnly);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Query_FetchingInputsAndOutputs_ReturnsThem(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, RegisterBasics);
        string id = NewId("fetch");
        await RunAsync(host.Client, "Echo", "payload", id);

        List<OrchestrationMetadata> found = [];
        await foreach (OrchestrationMetadata m in host.Client.GetAllInstancesAsync(
            new OrchestrationQuery { InstanceIdPrefix = id, FetchInputsAndOutputs = true }))
        {
            found.Add(m);
        }

        // Without FetchInputsAndOutputs Microsoft's in-process runtime returns them anyway; not asserted.
        OrchestrationMetadata only = Assert.Single(found);
        Assert.Equal("\"payload\"", only.SerializedInput);
        Assert.Equal("\"payload\"", only.SerializedOutput);
    }
}
