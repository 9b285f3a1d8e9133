using System.Text.Json;
using DurableMigration.Engine.DependencyInjection;
using DurableMigration.Engine.Execution;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using CoreHistory = DurableTask.Core.History;

namespace DurableMigration.Engine.Tests;

/// <summary>One test per defect of the pre-SDK engine that the rewrite fixed; each failed (or hung) on the old design.</summary>
public sealed class FixedDefectTests
{
    public static TheoryData<int> CacheSizes => new() { 1024, 0 };

    private static SubOrchestrationOptions ChildId(string instanceId) => new(retry: null, instanceId: instanceId);

    private static bool IsRunning(OrchestrationMetadata m) => m.RuntimeStatus == OrchestrationRuntimeStatus.Running;

    // ----- a, b: a parent restarted under the same id -----

    [Fact]
    public async Task RestartedParent_NeverCompletesWithTheOutputOfAnEarlierRunsChild()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("WaitingChild", (ctx, _) => ctx.WaitForExternalEvent<string>("Go"))
            .AddOrchestratorFunc<string, string>("Parent", (ctx, childId) => ctx.CallSubOrchestratorAsync<string>("WaitingChild", "x", ChildId(childId))));
        await harness.StartAsync("Parent", "child-run-1", "p");
        await harness.WaitUntilAsync("child-run-1", IsRunning);
        await harness.Client.TerminateInstanceAsync("p", "restarting"); // not recursive: child-run-1 keeps running
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await harness.WaitAsync("p")).RuntimeStatus);
        await harness.StartAsync("Parent", "child-run-2", "p");
        await harness.WaitUntilAsync("child-run-2", IsRunning);

        // The first run's child finishes now and reports to "p", whose current run did not start it.
        await harness.Client.RaiseEventAsync("child-run-1", "Go", "old");
        Assert.Equal("\"old\"", (await harness.WaitAsync("child-run-1")).SerializedOutput);
        await WaitUntilAsync(async () => await harness.QueuedMessagesAsync("p") == 0); // its result was taken off p's queue
        var between = await harness.Client.GetInstanceAsync("p");
        await harness.Client.RaiseEventAsync("child-run-2", "Go", "new");
        var result = await harness.WaitAsync("p");

        Assert.Equal(OrchestrationRuntimeStatus.Running, between!.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("\"new\"", result.SerializedOutput);
    }

    [Fact]
    public async Task TerminatedParent_RestartsUnderTheSameId_WithFreshDefaultChildIds()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("WaitingChild", (ctx, _) => ctx.WaitForExternalEvent<string>("Go"))
            .AddOrchestratorFunc<string, string>("Parent", (ctx, _) => ctx.CallSubOrchestratorAsync<string>("WaitingChild", "x")));
        await harness.StartAsync("Parent", "x", "p");
        string firstChild = await CreatedChildAsync(harness, "p");
        await harness.WaitUntilAsync(firstChild, IsRunning);
        await harness.Client.TerminateInstanceAsync("p", "restarting");
        await harness.WaitAsync("p");

        await harness.StartAsync("Parent", "x", "p");
        string secondChild = await CreatedChildAsync(harness, "p");
        await harness.WaitUntilAsync(secondChild, IsRunning);
        await harness.Client.RaiseEventAsync(secondChild, "Go", "second run");
        var result = await harness.WaitAsync("p");

        Assert.NotEqual(firstChild, secondChild);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("\"second run\"", result.SerializedOutput);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await harness.Client.GetInstanceAsync(firstChild))!.RuntimeStatus);
    }

    // ----- c: WhenAny(event, timer) loops -----

    [Theory]
    [MemberData(nameof(CacheSizes))]
    public async Task WhenAnyEventOrTimerLoop_DeliversAnEventAfterATimeoutToTheNewestWaiter(int cacheSize)
    {
        await using var harness = await EngineHarness.StartAsync(
            r => r.AddOrchestratorFunc<string, string>("Poller", async (ctx, _) =>
            {
                for (int i = 0; ; i++)
                {
                    using var cts = new CancellationTokenSource();
                    Task<string> answer = ctx.WaitForExternalEvent<string>("Answer");
                    // The first wait times out quickly; the second would wait for ten minutes.
                    Task timeout = ctx.CreateTimer(ctx.CurrentUtcDateTime.Add(i == 0 ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromMinutes(10)), cts.Token);
                    if (await Task.WhenAny(answer, timeout) == answer)
                    {
                        cts.Cancel();
                        return $"{i}:{await answer}";
                    }

                    ctx.SetCustomStatus(i + 1);
                }
            }),
            o => o.MaxCachedOrchestrations = cacheSize);
        string id = await harness.StartAsync("Poller", "x");
        await harness.WaitUntilAsync(id, m => m.SerializedCustomStatus == "1"); // the first wait timed out

        await harness.Client.RaiseEventAsync(id, "Answer", "hello");
        var result = await harness.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("\"1:hello\"", result.SerializedOutput);
    }

    // ----- d: a foreign await beside a pending durable timer -----

    [Theory]
    [MemberData(nameof(CacheSizes))]
    public async Task TaskDelayBesideAPendingDurableTimer_FailsTheSameWayWithOrWithoutTheCache(int cacheSize)
    {
        await using var harness = await EngineHarness.StartAsync(
            r => r.AddOrchestratorFunc<string, string>("Mixed", async (ctx, _) =>
            {
                Task timer = ctx.CreateTimer(ctx.CurrentUtcDateTime.AddMilliseconds(300), CancellationToken.None);
#pragma warning disable CA2007, DURABLE0003 // Deliberately wrong orchestrator code: the runtime must fail it the same way on every path.
                await Task.Delay(50);
#pragma warning restore CA2007, DURABLE0003
                await timer;
                return "unreachable";
            }),
            o => o.MaxCachedOrchestrations = cacheSize);

        var result = await harness.RunAsync("Mixed", "x", "mixed");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(InvalidOperationException).FullName, result.FailureDetails!.ErrorType);
        Assert.Equal(
            "Orchestration 'Mixed' (mixed) awaited a task that was not created by its context (Task.Delay, Task.Run, I/O?); orchestrator code must await only tasks from the context.",
            result.FailureDetails.ErrorMessage);
    }

    // ----- e: timers never resume early -----

    [Theory]
    [MemberData(nameof(CacheSizes))]
    public async Task Timer_WithASubMillisecondFireTime_NeverResumesBeforeIt(int cacheSize)
    {
        await using var harness = await EngineHarness.StartAsync(
            r => r.AddOrchestratorFunc<int, bool[]>("Precise", async (ctx, count) =>
            {
                var onTime = new bool[count];
                for (int i = 0; i < count; i++)
                {
                    DateTime fireAt = ctx.CurrentUtcDateTime.AddMilliseconds(150.5);
                    await ctx.CreateTimer(fireAt, CancellationToken.None);
                    onTime[i] = ctx.CurrentUtcDateTime >= fireAt;
                }

                return onTime;
            }),
            o => o.MaxCachedOrchestrations = cacheSize,
            // A clock that reads whole milliseconds: a timer due at x.5 ms becomes visible while the clock still reads x.
            services: s => s.AddSingleton<TimeProvider>(new MillisecondClock()));

        var result = await harness.RunAsync("Precise", 4);

        Assert.Equal("[true,true,true,true]", result.SerializedOutput);
    }

    [Fact]
    public async Task ScheduledStart_WithASubMillisecondTime_NeverRunsBeforeIt()
    {
        await using var harness = await EngineHarness.StartAsync(
            r => r.AddOrchestratorFunc<DateTime>("WhenDidIStart", ctx => Task.FromResult(ctx.CurrentUtcDateTime)));
        // Due just short of a whole millisecond: the store keeps whole milliseconds, and the dispatcher wakes at the one before.
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        var dueTimes = Enumerable.Range(1, 8)
            .Select(i => new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero).AddMilliseconds((40 * i) + 0.99))
            .ToList();

        foreach (var (due, i) in dueTimes.Select((d, i) => (d, i)))
        {
            await harness.Client.ScheduleNewOrchestrationInstanceAsync("WhenDidIStart", new StartOrchestrationOptions($"scheduled-{i}", due));
        }

        foreach (var (due, i) in dueTimes.Select((d, i) => (d, i)))
        {
            DateTime started = (await harness.WaitAsync($"scheduled-{i}")).ReadOutputAs<DateTime>();
            Assert.True(started >= due.UtcDateTime, $"started at {started:o}, due {due:o}");
        }
    }

    // ----- f: ContinueAsNew -----

    [Theory]
    [MemberData(nameof(CacheSizes))]
    public async Task ContinueAsNew_TwentyTimes_KeepsOnlyTheLastExecutionsHistory(int cacheSize)
    {
        await using var harness = await EngineHarness.StartAsync(
            r => r
                .AddActivityFunc<int, int>("Increment", (_, n) => n + 1)
                .AddOrchestratorFunc<int, int>("Counter", async (ctx, n) =>
                {
                    if (n < 20)
                    {
                        ctx.ContinueAsNew(await ctx.CallActivityAsync<int>("Increment", n));
                    }

                    return n;
                }),
            o => o.MaxCachedOrchestrations = cacheSize);

        var result = await harness.RunAsync("Counter", 0, "counter");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("20", result.SerializedOutput);
        var history = await harness.HistoryAsync("counter");
        var started = Assert.Single(history.OfType<CoreHistory.ExecutionStartedEvent>());
        Assert.Equal("20", started.Input);
        Assert.True(history.Count <= 4, $"history has {history.Count} events: {string.Join(", ", history.Select(e => e.EventType))}");
        Assert.DoesNotContain(history, e => e.EventType == CoreHistory.EventType.TaskScheduled);
    }

    [Theory]
    [InlineData(true, "kept")]
    [InlineData(false, "lost")]
    public async Task ContinueAsNew_CarriesUnprocessedEventsOnlyWhenAskedTo(bool preserve, string expected)
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<int, string>("Carrier", async (ctx, generation) =>
            {
                if (generation == 0)
                {
                    await ctx.WaitForExternalEvent<string>("Go"); // "Extra" arrives first and nobody waits for it yet
                    ctx.ContinueAsNew(1, preserveUnprocessedEvents: preserve);
                    return "continued";
                }

                try
                {
                    return await ctx.WaitForExternalEvent<string>("Extra", TimeSpan.FromMilliseconds(300));
                }
                catch (TaskCanceledException)
                {
                    return "lost";
                }
            }));
        string id = await harness.StartAsync("Carrier", 0);
        await harness.WaitUntilAsync(id, IsRunning);

        await harness.Client.RaiseEventAsync(id, "Extra", "kept");
        await harness.Client.RaiseEventAsync(id, "Go", "now");
        var result = await harness.WaitAsync(id);

        Assert.Equal(JsonSerializer.Serialize(expected), result.SerializedOutput);
    }

    // ----- g: determinism across a code change -----

    [Fact]
    public async Task OrchestratorChangedBetweenRuns_FailsTheInstanceWithANonDeterminismErrorNamingBothCalls()
    {
        string taskHub = Path.Combine(EngineHarness.NewDirectory(), "taskhub.db");
        static Action<DurableTaskRegistry> Version(string firstActivity) => r => r
            .AddActivityFunc<string, string>("A", (_, s) => s)
            .AddActivityFunc<string, string>("B", (_, s) => s)
            .AddOrchestratorFunc<string, string>("Changing", async (ctx, input) =>
            {
                await ctx.CallActivityAsync<string>(firstActivity, input);
                return await ctx.WaitForExternalEvent<string>("Continue");
            });

        await using (var engineA = await EngineHarness.StartAsync(Version("A"), taskHubPath: taskHub))
        {
            await engineA.StartAsync("Changing", "x", "changing");
            await engineA.WaitForHistoryAsync("changing", CoreHistory.EventType.TaskCompleted);
        }

        await using var engineB = await EngineHarness.StartAsync(Version("B"), taskHubPath: taskHub);
        await engineB.Client.RaiseEventAsync("changing", "Continue", "go");
        var result = await engineB.WaitAsync("changing");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(NonDeterministicOrchestrationException).FullName, result.FailureDetails!.ErrorType);
        string message = result.FailureDetails.ErrorMessage;
        Assert.Contains("Non-deterministic", message, StringComparison.Ordinal);
        Assert.Contains("'A'", message, StringComparison.Ordinal);
        Assert.Contains("'B'", message, StringComparison.Ordinal);
    }

    // ----- h: durability -----

    [Theory]
    [InlineData(TaskHubDurability.Normal, 1L)]
    [InlineData(TaskHubDurability.Full, 2L)]
    public async Task Durability_SetsSqliteSynchronousOnTheEnginesConnection(TaskHubDurability durability, long expected)
    {
        await using var harness = await EngineHarness.StartAsync(_ => { }, o => o.Durability = durability);

        Assert.Equal(expected, await harness.GetService<Storage.TaskHubStore>().GetSynchronousModeAsync(CancellationToken.None));
    }

    [Fact]
    public async Task FullDurability_RunsWork_AndNormalIsTheDefault()
    {
        Assert.Equal(TaskHubDurability.Normal, new DurableEngineOptions().Durability);
        await using var harness = await EngineHarness.StartAsync(
            r => r
                .AddActivityFunc<string, string>("Append", (_, s) => s + "!")
                .AddOrchestratorFunc<string, string>("Chain", async (ctx, input) =>
                {
                    string value = input;
                    for (int i = 0; i < 3; i++)
                    {
                        value = await ctx.CallActivityAsync<string>("Append", value);
                    }

                    return value;
                }),
            o => o.Durability = TaskHubDurability.Full);

        var result = await harness.RunAsync("Chain", "go");

        Assert.Equal(TaskHubDurability.Full, harness.GetService<DurableEngineOptions>().Durability);
        Assert.Equal("\"go!!!\"", result.SerializedOutput);
    }

    [Fact]
    public void UnknownDurability_IsRejectedAtRegistration()
    {
        var services = new ServiceCollection();

        Assert.Throws<ArgumentOutOfRangeException>(() =>
            services.AddDurableEngine(o => o.Durability = (TaskHubDurability)7, _ => { }));
    }

    // ----- i: SendEvent and Version -----

    [Fact]
    public async Task SendEvent_DeliversToAnotherOrchestration_AndIsDroppedForAMissingOne()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("Receiver", (ctx, _) => ctx.WaitForExternalEvent<string>("Hello"))
            .AddOrchestratorFunc<string, string>("Sender", (ctx, target) =>
            {
                ctx.SendEvent(target, "Hello", "hi from " + ctx.InstanceId);
                return Task.FromResult("sent");
            }));
        await harness.StartAsync("Receiver", "x", "rx");
        await harness.WaitUntilAsync("rx", IsRunning);

        var sender = await harness.RunAsync("Sender", "rx", "tx");
        var received = await harness.WaitAsync("rx");
        var toNobody = await harness.RunAsync("Sender", "nobody", "tx-2");

        Assert.Equal("\"sent\"", sender.SerializedOutput);
        Assert.Equal("\"hi from tx\"", received.SerializedOutput);
        var sent = Assert.Single((await harness.HistoryAsync("tx")).OfType<CoreHistory.EventSentEvent>());
        Assert.Equal("rx", sent.InstanceId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, toNobody.RuntimeStatus);
        Assert.Null(await harness.Client.GetInstanceAsync("nobody"));
        Assert.Equal(0L, await harness.QueuedMessagesAsync("nobody"));
    }

    [Fact]
    public async Task Version_FromTheStartOptions_IsVisibleInTheContext_AndSubOrchestrationsGetTheirOwn()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("ReportVersion", (ctx, _) => Task.FromResult(ctx.Version))
            .AddOrchestratorFunc<string, string>("Versioned", async (ctx, _) =>
            {
                string child = await ctx.CallSubOrchestratorAsync<string>("ReportVersion", "x", new SubOrchestrationOptions(retry: null, instanceId: "versioned-child") { Version = "3" });
                return ctx.Version + "/" + child;
            }));

        string id = await harness.Client.ScheduleNewOrchestrationInstanceAsync("Versioned", "x", new StartOrchestrationOptions("versioned") { Version = "2" });
        var result = await harness.WaitAsync(id);
        var unversioned = await harness.RunAsync("ReportVersion", "x");

        Assert.Equal("\"2/3\"", result.SerializedOutput);
        Assert.Equal("\"\"", unversioned.SerializedOutput);
        Assert.Equal("2", Assert.Single((await harness.HistoryAsync("versioned")).OfType<CoreHistory.ExecutionStartedEvent>()).Version);
    }

    // ----- j: recursive terminate and purge -----

    [Fact]
    public async Task RecursiveTerminate_TerminatesDescendants_AndRecursivePurgePurgesThem()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("Leaf", (ctx, _) => ctx.WaitForExternalEvent<string>("Never"))
            .AddOrchestratorFunc<string, string>("Middle", (ctx, _) => ctx.CallSubOrchestratorAsync<string>("Leaf", "x", ChildId("tree-leaf")))
            .AddOrchestratorFunc<string, string>("Root", (ctx, _) => ctx.CallSubOrchestratorAsync<string>("Middle", "x", ChildId("tree-middle"))));
        await harness.StartAsync("Root", "x", "tree");
        await harness.WaitUntilAsync("tree-leaf", IsRunning);

        await harness.Client.TerminateInstanceAsync("tree", new TerminateInstanceOptions(Output: "stop everything", Recursive: true));
        var ended = new List<OrchestrationMetadata>();
        foreach (string id in new[] { "tree", "tree-middle", "tree-leaf" })
        {
            ended.Add(await harness.WaitAsync(id));
        }

        var purged = await harness.Client.PurgeInstanceAsync("tree", new PurgeInstanceOptions(Recursive: true));

        Assert.All(ended, m => Assert.Equal(OrchestrationRuntimeStatus.Terminated, m.RuntimeStatus));
        Assert.All(ended, m => Assert.Equal("\"stop everything\"", m.SerializedOutput));
        Assert.Equal(3, purged.PurgedInstanceCount);
        Assert.Null(await harness.Client.GetInstanceAsync("tree-middle"));
        Assert.Null(await harness.Client.GetInstanceAsync("tree-leaf"));
    }

    [Fact]
    public async Task NonRecursivePurge_LeavesChildrenAlone()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("Leaf", (_, s) => Task.FromResult(s))
            .AddOrchestratorFunc<string, string>("Root", (ctx, _) => ctx.CallSubOrchestratorAsync<string>("Leaf", "x", ChildId("lone-leaf"))));
        await harness.RunAsync("Root", "x", "lone");

        var purged = await harness.Client.PurgeInstanceAsync("lone");

        Assert.Equal(1, purged.PurgedInstanceCount);
        Assert.NotNull(await harness.Client.GetInstanceAsync("lone-leaf"));
    }

    // ----- entities are refused clearly -----

    [Fact]
    public void RegisteringAnEntity_IsRefusedAtRegistration()
    {
        var error = Assert.Throws<NotSupportedException>(() =>
            new ServiceCollection().AddDurableEngine(_ => { }, r => r.AddEntity<CounterEntity>("Counter")));

        Assert.Contains("entities are not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsingEntitiesFromAnOrchestrator_FailsWithNotSupported()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("EntityUser", (ctx, _) => Task.FromResult(ctx.Entities.GetType().Name)));

        var result = await harness.RunAsync("EntityUser", "x");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(NotSupportedException).FullName, result.FailureDetails!.ErrorType);
    }

    private static async Task<string> CreatedChildAsync(EngineHarness harness, string parentId) =>
        Assert.Single((await harness.WaitForHistoryAsync(parentId, CoreHistory.EventType.SubOrchestrationInstanceCreated))
            .OfType<CoreHistory.SubOrchestrationInstanceCreatedEvent>()).InstanceId;

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var cts = new CancellationTokenSource(EngineHarness.Patience);
        while (!await condition())
        {
            await Task.Delay(20, cts.Token);
        }
    }

    private sealed class CounterEntity : Microsoft.DurableTask.Entities.TaskEntity<int>
    {
        public void Add(int amount) => State += amount;
    }

    /// <summary>The system clock read to whole milliseconds (rounded down).</summary>
    private sealed class MillisecondClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow()
        {
            DateTimeOffset now = base.GetUtcNow();
            return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        }
    }
}
