using System.Collections.Concurrent;
using System.Threading.Channels;
using DurableMigration.Engine.History;
using DurableMigration.Engine.Storage;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Engine.Dispatch;

/// <summary>Leases activity work items, runs them, and records their results in batched transactions.</summary>
/// <remarks>
/// <para>Activities run at least once: a result is recorded only while this worker still holds the item's lease, and a
/// crash before that leaves the item to be leased again. Leases of running activities are renewed, so a long copy
/// is not handed to a second worker.</para>
/// <para>An activity its orchestration waits for alone (<see cref="ActivityWorkItem.RunsNextTurn"/>) is not batched: its
/// worker runs the turn the result wakes, on the executor this process keeps, and commits result and turn in one
/// transaction (<see cref="OrchestrationDispatcher.TryRunTurnForResultAsync"/>); then it goes on, in the same slot, with
/// an activity a turn handed to this process. A chain of activities thus moves one transaction per step, without
/// waiting for other threads in between. Results of fan-outs, and any the turn could not take, go out in batches.</para>
/// </remarks>
internal sealed class ActivityDispatcher
{
    private const int MaxResultsPerTransaction = 1000;

    private readonly EngineContext _engine;
    private readonly OrchestrationDispatcher _turns;
    private readonly ILogger _logger;
    private readonly Channel<ActivityResult> _results = Channel.CreateUnbounded<ActivityResult>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<long, ActivityWorkItem> _running = new();
    private long _nextTablePoll = long.MinValue; // Environment.TickCount64: real time, like the idle wait, whatever the engine's clock does

    /// <param name="engine">What the dispatchers share.</param>
    /// <param name="turns">The orchestration dispatcher of the same engine, which runs the turns this worker's results wake.</param>
    public ActivityDispatcher(EngineContext engine, OrchestrationDispatcher turns)
    {
        _engine = engine;
        _turns = turns;
        _logger = engine.LoggerFactory.CreateLogger("DurableMigration.Engine.Activities");
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        using var renewalStop = new CancellationTokenSource();
        using var slots = new SemaphoreSlim(_engine.Options.MaxConcurrentActivities, _engine.Options.MaxConcurrentActivities);
        Task writer = WriteResultsAsync();
        Task renewal = RenewLeasesAsync(renewalStop.Token);
        _engine.Handoff.Open();
        try
        {
            await WorkLoop.RunAsync(
                "activity",
                slots,
                _engine.Options.MaxConcurrentActivities,
                _engine.Signals.ActivityWork,
                FetchAsync,
                ExecuteAsync,
                _ => Task.FromResult(_engine.Options.MaxPollingInterval),
                _logger,
                stopping).ConfigureAwait(false);
        }
        finally
        {
            // Items turns leased to this process that no worker started: hand them back so the next worker starts them at once.
            var unstarted = _engine.Handoff.Close();
            if (unstarted.Count > 0)
            {
                await _engine.Store.ReleaseActivitiesAsync(_engine.WorkerId, [.. unstarted.Select(a => a.Id)], CancellationToken.None).ConfigureAwait(false);
            }

            _results.Writer.TryComplete();
            await writer.ConfigureAwait(false);
            await renewalStop.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes the activities turns handed to this process first; leases from the table when it may hold unleased work
    /// (a turn scheduled more than it handed over, or a previous lease filled every free slot) and at least once per
    /// polling interval, for work of other processes and expired leases.
    /// </summary>
    private async Task<IReadOnlyList<ActivityWorkItem>> FetchAsync(int count, CancellationToken stopping)
    {
        var items = new List<ActivityWorkItem>(count);
        while (items.Count < count && _engine.Handoff.TryTake(out var item))
        {
            items.Add(item);
        }

        long tick = Environment.TickCount64;
        if (items.Count < count && (_engine.Handoff.TakeTableMayHaveWork() || tick >= _nextTablePoll))
        {
            _nextTablePoll = tick + (long)_engine.Options.MaxPollingInterval.TotalMilliseconds;
            DateTime now = _engine.UtcNow;
            int wanted = count - items.Count;
            IReadOnlyList<ActivityWorkItem> leased;
            try
            {
                // Items already taken must reach a worker: no cancellation then, and a store fault only postpones the table.
                leased = await _engine.Store.LockActivitiesAsync(_engine.WorkerId, now, _engine.Options.LeaseDuration, wanted, items.Count > 0 ? CancellationToken.None : stopping).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Reported and retried at the next fetch; the items in hand run meanwhile.
            catch (Exception ex) when (items.Count > 0)
#pragma warning restore CA1031
            {
                Logs.DispatcherFailed(_logger, ex, "activity");
                _engine.Handoff.MarkTableMayHaveWork();
                return items;
            }

            if (leased.Count == wanted)
            {
                _engine.Handoff.MarkTableMayHaveWork();
            }

            items.AddRange(leased);
        }

        return items;
    }

    /// <summary>Runs <paramref name="item"/>, and after it the activities its inline turns hand on, in the one slot it holds.</summary>
    private async Task ExecuteAsync(ActivityWorkItem item, CancellationToken stopping)
    {
        for (ActivityWorkItem? next = item; next is not null;)
        {
            next = await ExecuteOneAsync(next, stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one activity and records its result; returns an activity to run next in the same slot, if its turn ran here and one waits.</summary>
    private async Task<ActivityWorkItem?> ExecuteOneAsync(ActivityWorkItem item, CancellationToken stopping)
    {
        _running[item.Id] = item;
        HistoryEvent result;
        try
        {
            if (item.DequeueCount > 1)
            {
                Logs.ActivityRedelivered(_logger, item.Name, item.TaskId, item.InstanceId, item.DequeueCount);
            }

            result = await RunActivityAsync(item, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: hand the item back so the next worker starts it at once instead of after the lease.
            _running.TryRemove(item.Id, out _);
            await _engine.Store.ReleaseActivitiesAsync(_engine.WorkerId, [item.Id], CancellationToken.None).ConfigureAwait(false);
            return null;
        }

        if (item.RunsNextTurn && !stopping.IsCancellationRequested && await _turns.TryRunTurnForResultAsync(item, result, stopping).ConfigureAwait(false))
        {
            _running.TryRemove(item.Id, out _);
            return !stopping.IsCancellationRequested && _engine.Handoff.TryTake(out var next) ? next : null;
        }

        await _results.Writer.WriteAsync(new ActivityResult(item, result), CancellationToken.None).ConfigureAwait(false);
        return null;
    }

    private async Task<HistoryEvent> RunActivityAsync(ActivityWorkItem item, CancellationToken stopping)
    {
        DateTime Now() => _engine.UtcNow;
        var scope = _engine.Services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var activity = _engine.Tasks.CreateActivity(item.Name, scope.ServiceProvider);
            if (activity is null)
            {
                // As in the Durable Task Framework: a missing activity is a failure no retry can fix.
                var missing = new TaskFailureDetails(
                    "ActivityTaskNotFound",
                    $"No activity task named '{item.Name}' was found.",
                    null,
                    null,
                    null);
                Logs.ActivityFailed(_logger, item.Name, item.TaskId, item.InstanceId, missing.ErrorType);
                return new TaskFailedEvent(item.TaskId, missing, IsNonRetriable: true) { Timestamp = Now() };
            }

            try
            {
                object? input = item.Input is null ? null : _engine.Converter.Deserialize(item.Input, activity.InputType);
                var context = new EmbeddedActivityContext(new TaskName(item.Name), item.InstanceId);
                object? output;
                // The scope names the instance on every line the activity's code logs, so a host can tell whose lines they are.
                using (_logger.BeginScope(new ActivityLogScope(item.InstanceId, item.Name)))
                {
                    output = await activity.RunAsync(context, input).ConfigureAwait(false);
                }

                return new TaskCompletedEvent(item.TaskId, _engine.Converter.Serialize(output)) { Timestamp = Now() };
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // Whatever an activity throws becomes its failure, delivered to the orchestration as TaskFailedException.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var failure = TaskFailureDetails.FromException(ex);
                Logs.ActivityFailed(_logger, item.Name, item.TaskId, item.InstanceId, failure.ErrorType);
                return new TaskFailedEvent(item.TaskId, failure) { Timestamp = Now() };
            }
        }
    }

    /// <summary>Records results in as few transactions as the arrival rate allows.</summary>
    private async Task WriteResultsAsync()
    {
        var reader = _results.Reader;
        var batch = new List<ActivityResult>(MaxResultsPerTransaction);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxResultsPerTransaction && reader.TryRead(out var result))
            {
                batch.Add(result);
            }

            while (true)
            {
                try
                {
                    int lost = await _engine.Store.CompleteActivitiesAsync(_engine.WorkerId, batch, _engine.UtcNow, CancellationToken.None).ConfigureAwait(false);
                    if (lost > 0)
                    {
                        Logs.ActivityResultsDropped(_logger, lost);
                    }

                    break;
                }
#pragma warning disable CA1031 // A store fault must not lose finished work: keep the batch and try again.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Logs.DispatcherFailed(_logger, ex, "activity result");
                    await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                }
            }

            foreach (var written in batch)
            {
                _running.TryRemove(written.WorkItem.Id, out _);
            }

            batch.Clear();
            _engine.Signals.OrchestrationWork.Pulse();
        }
    }

    private async Task RenewLeasesAsync(CancellationToken stop)
    {
        TimeSpan period = _engine.Options.LeaseDuration / 3;
        try
        {
            while (true)
            {
                await Task.Delay(period, stop).ConfigureAwait(false);
                if (_running.IsEmpty && _engine.Handoff.IsEmpty)
                {
                    continue;
                }

                try
                {
                    await _engine.Store.RenewActivityLeasesAsync(_engine.WorkerId, _engine.UtcNow + _engine.Options.LeaseDuration, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    throw;
                }
#pragma warning disable CA1031 // A failed renewal is retried at the next period; the lease still has two periods left.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Logs.DispatcherFailed(_logger, ex, "lease renewal");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}

/// <summary>What an activity knows about the call that runs it.</summary>
internal sealed class EmbeddedActivityContext(TaskName name, string instanceId) : TaskActivityContext
{
    public override TaskName Name { get; } = name;

    public override string InstanceId { get; } = instanceId;
}
