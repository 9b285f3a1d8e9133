using System.Runtime.CompilerServices;
using DurableMigration.Engine.History;
using DurableMigration.Engine.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using CoreHistory = DurableTask.Core.History;

namespace DurableMigration.Engine.Tests;

/// <summary>
/// Turns an activity worker runs itself for the result of an activity its orchestration waited for alone: committed
/// with the result in one transaction only when the queue path would have taken the same turn.
/// </summary>
public sealed class WorkerTurnTests
{
    private const string Worker = "test-machine/1/1/worker01";

    [Fact]
    public async Task WorkerTurn_WithNothingElseWaiting_RecordsTheResultAndTheTurnInOneCommit()
    {
        await using var setup = await ScheduledActivity.CreateAsync();

        var committed = await setup.CommitWorkerTurnAsync();

        Assert.NotNull(committed);
        Assert.Equal((2L, 0L), await setup.HistoryAndActivityRowsAsync());
    }

    [Fact]
    public async Task WorkerTurn_WithATerminateQueued_ChangesNothing_SoTheTerminateGoesFirst()
    {
        await using var setup = await ScheduledActivity.CreateAsync();
        await setup.Harness.Client.TerminateInstanceAsync(setup.InstanceId, "stop");

        var committed = await setup.CommitWorkerTurnAsync();

        Assert.Null(committed);
        Assert.Equal((1L, 1L), await setup.HistoryAndActivityRowsAsync());
    }

    [Fact]
    public async Task WorkerTurn_AfterTheActivityLeaseWentToAnotherWorker_ChangesNothing()
    {
        await using var setup = await ScheduledActivity.CreateAsync();
        await setup.Store.ReleaseActivitiesAsync(Worker, [setup.ActivityId], CancellationToken.None);
        var other = await setup.Store.LockActivitiesAsync("test-machine/2/2/worker02", DateTime.UtcNow, TimeSpan.FromMinutes(1), 1, CancellationToken.None);

        var committed = await setup.CommitWorkerTurnAsync();

        Assert.Single(other);
        Assert.Null(committed);
        Assert.Equal((1L, 1L), await setup.HistoryAndActivityRowsAsync());
    }

    [Fact]
    public async Task WorkerTurn_WhileAnotherWorkerHoldsTheInstance_ChangesNothing()
    {
        await using var setup = await ScheduledActivity.CreateAsync();
        await setup.Harness.Client.RaiseEventAsync(setup.InstanceId, "Nudge", "x");
        var held = await setup.Store.LockOrchestrationsAsync("test-machine/2/2/worker02", DateTime.UtcNow, TimeSpan.FromMinutes(1), 1, CancellationToken.None);
        await setup.Store.DiscardMessagesAsync(setup.InstanceId, "nobody", [.. held.Single().Messages.Select(m => m.Id)], CancellationToken.None);

        var committed = await setup.CommitWorkerTurnAsync();

        Assert.Null(committed);
        Assert.Equal((1L, 1L), await setup.HistoryAndActivityRowsAsync());
    }

    [Fact]
    public async Task SuspendedWhileItsOnlyActivityRuns_TheResultWaitsForTheResume()
    {
        using var release = new SemaphoreSlim(0);
        var secondRuns = new StrongBox<int>();
        await using var harness = await EngineHarness.StartAsync(r => RegisterHeldChain(r, release, secondRuns));
        string id = await harness.StartAsync("Chain", "go");
        await harness.WaitForHistoryAsync(id, CoreHistory.EventType.TaskScheduled);

        await harness.Client.SuspendInstanceAsync(id, "hold on");
        await harness.WaitUntilAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Suspended);
        release.Release();
        await WaitForQueuedResultAsync(harness, id);
        var suspended = await harness.Client.GetInstanceAsync(id);
        await harness.Client.ResumeInstanceAsync(id, "go on");
        var done = await harness.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Suspended, suspended!.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("\"go!\"", done.SerializedOutput);
        Assert.Equal(1, secondRuns.Value);
    }

    [Fact]
    public async Task WorkerTurnThatGivesWayToTheQueue_LogsItsLinesOnce()
    {
        using var release = new SemaphoreSlim(0);
        await using var harness = await EngineHarness.StartAsync(r => RegisterHeldChain(r, release, new StrongBox<int>()));
        string id = await harness.StartAsync("Chain", "go");
        await harness.WaitForHistoryAsync(id, CoreHistory.EventType.TaskScheduled);
        // Suspend and resume add history without a turn of the orchestration's code: the executor the worker finds is
        // then behind the store, so its turn cannot commit and the queue runs the turn again.
        await harness.Client.SuspendInstanceAsync(id);
        await harness.WaitUntilAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Suspended);
        await harness.Client.ResumeInstanceAsync(id);
        await harness.WaitForHistoryAsync(id, CoreHistory.EventType.ExecutionResumed);

        release.Release();
        var done = await harness.WaitAsync(id);

        Assert.Equal("\"go!\"", done.SerializedOutput);
        Assert.Single(harness.Logs.Lines, l => l.Message == "after the held activity");
    }

    /// <summary>"Chain": an activity that waits for <paramref name="release"/>, a log line, then "Second" (counted in <paramref name="secondRuns"/>), which appends "!".</summary>
    private static void RegisterHeldChain(DurableTaskRegistry registry, SemaphoreSlim release, StrongBox<int> secondRuns) => registry
        .AddActivityFunc<string, string>("Held", async (_, s) =>
        {
            await release.WaitAsync(EngineHarness.Patience);
            return s;
        })
        .AddActivityFunc<string, string>("Second", (_, s) =>
        {
            Interlocked.Increment(ref secondRuns.Value);
            return s + "!";
        })
        .AddOrchestratorFunc<string, string>("Chain", async (ctx, s) =>
        {
            string held = await ctx.CallActivityAsync<string>("Held", s);
            ctx.CreateReplaySafeLogger("Chain").LogInformation("after the held activity");
            return await ctx.CallActivityAsync<string>("Second", held);
        });

    /// <summary>Waits until the held activity's result is queued for the suspended instance, not applied.</summary>
    private static async Task WaitForQueuedResultAsync(EngineHarness harness, string id)
    {
        using var cts = new CancellationTokenSource(EngineHarness.Patience);
        while (await harness.QueuedMessagesAsync(id) == 0)
        {
            await Task.Delay(20, cts.Token);
        }
    }

    /// <summary>An instance whose first turn committed by hand: running, unlocked, one history event, one activity leased to <see cref="Worker"/>.</summary>
    private sealed class ScheduledActivity : IAsyncDisposable
    {
        private ScheduledActivity(EngineHarness harness, string instanceId, string executionId, long activityId)
        {
            Harness = harness;
            InstanceId = instanceId;
            ExecutionId = executionId;
            ActivityId = activityId;
        }

        public EngineHarness Harness { get; }

        public TaskHubStore Store => Harness.GetService<TaskHubStore>();

        public string InstanceId { get; }

        public string ExecutionId { get; }

        public long ActivityId { get; }

        public static async Task<ScheduledActivity> CreateAsync()
        {
            var harness = await EngineHarness.StartAsync(r => r.AddOrchestratorFunc<string, string>("Never", (_, s) => Task.FromResult(s)), start: false);
            string id = await harness.StartAsync("Never", "x");
            var store = harness.GetService<TaskHubStore>();
            DateTime now = DateTime.UtcNow;
            var item = (await store.LockOrchestrationsAsync(Worker, now, TimeSpan.FromMinutes(1), 1, CancellationToken.None)).Single();
            var first = await store.CommitTurnAsync(
                new TurnCommit(
                    id,
                    item.Instance.ExecutionId,
                    Worker,
                    now,
                    0,
                    [new OrchestratorStartedEvent { Timestamp = now }],
                    [.. item.Messages.Select(m => m.Id)],
                    new InstanceUpdate(OrchestrationRuntimeStatus.Running, null, null, false, null),
                    [new ActivitySpec(0, "A", null)],
                    [],
                    [])
                {
                    LeaseActivities = new ActivityLease(now.AddMinutes(1), 1),
                },
                CancellationToken.None);
            return new ScheduledActivity(harness, id, item.Instance.ExecutionId, first!.LeasedActivities.Single().Id);
        }

        /// <summary>Commits, as the activity's worker, the turn for its result, holding no lease on the instance.</summary>
        public Task<CommittedTurn?> CommitWorkerTurnAsync()
        {
            DateTime now = DateTime.UtcNow;
            return Store.CommitTurnAsync(
                new TurnCommit(
                    InstanceId,
                    ExecutionId,
                    Worker,
                    now,
                    1,
                    [new TaskCompletedEvent(0, "\"done\"") { Timestamp = now }],
                    [],
                    new InstanceUpdate(OrchestrationRuntimeStatus.Running, null, null, false, null),
                    [],
                    [],
                    [])
                {
                    CompletedActivityId = ActivityId,
                },
                CancellationToken.None);
        }

        /// <summary>The instance's stored history length and the number of activity rows left in the task hub.</summary>
        public async Task<(long History, long Activities)> HistoryAndActivityRowsAsync()
        {
            await using var connection = new SqliteConnection($"Data Source={Harness.TaskHubPath};Pooling=False;Default Timeout=60");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT (SELECT HistoryCount FROM Instances WHERE InstanceId = $id), (SELECT COUNT(*) FROM ActivityTasks)";
            command.Parameters.AddWithValue("$id", InstanceId);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return (reader.GetInt64(0), reader.GetInt64(1));
        }

        public ValueTask DisposeAsync() => Harness.DisposeAsync();
    }
}
