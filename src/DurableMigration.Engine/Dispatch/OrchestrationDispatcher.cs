using DurableMigration.Engine.Execution;
using DurableMigration.Engine.History;
using DurableMigration.Engine.Storage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Engine.Dispatch;

/// <summary>Takes locked orchestration instances with new messages and runs one turn each, committing its result atomically.</summary>
/// <remarks>Turns also run outside its fetch loop: an activity worker whose orchestration waited for that activity alone
/// runs the turn its result wakes itself (<see cref="TryRunTurnForResultAsync"/>), in one of the same
/// <see cref="DurableEngineOptions.MaxConcurrentOrchestrations"/> slots.</remarks>
internal sealed class OrchestrationDispatcher
{
    private readonly EngineContext _engine;
    private readonly ExecutorCache _cache;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;

    public OrchestrationDispatcher(EngineContext engine)
    {
        _engine = engine;
        _cache = new ExecutorCache(engine.Options.MaxCachedOrchestrations);
        _logger = engine.LoggerFactory.CreateLogger("DurableMigration.Engine.Orchestrations");
        _slots = new SemaphoreSlim(engine.Options.MaxConcurrentOrchestrations, engine.Options.MaxConcurrentOrchestrations);
    }

    /// <summary>
    /// Runs, here and now, the turn that an activity's result wakes, for an orchestration this process ran last and that
    /// waits for that activity alone: no lease, no queued message; one transaction records the result and commits the
    /// turn, if nobody holds the instance and its history has not moved meanwhile.
    /// </summary>
    /// <returns>Whether the turn committed; when not, nothing changed and the result must be recorded as usual.</returns>
    public async Task<bool> TryRunTurnForResultAsync(ActivityWorkItem activity, HistoryEvent result, CancellationToken stopping)
    {
        if (!_slots.Wait(0))
        {
            return false;
        }

        try
        {
            if (_cache.TryTakeLast(activity.InstanceId, activity.ExecutionId) is not { } cached)
            {
                return false;
            }

            var item = new OrchestrationWorkItem(cached.Instance, [new QueuedMessage(0, activity.ExecutionId, result)]);
            try
            {
                return await ProcessTurnAsync(item, cached.Executor, activity.Id, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return false;
            }
#pragma warning disable CA1031 // Nothing was committed: the caller records the result, and the next turn replays from the store.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Logs.DispatcherFailed(_logger, ex, "orchestration");
                return false;
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    public Task RunAsync(CancellationToken stopping) =>
        WorkLoop.RunAsync(
            "orchestration",
            _slots,
            _engine.Options.MaxConcurrentOrchestrations,
            _engine.Signals.OrchestrationWork,
            (count, ct) => _engine.Store.LockOrchestrationsAsync(_engine.WorkerId, _engine.UtcNow, _engine.Options.LeaseDuration, count, ct),
            ProcessAsync,
            _engine.NextOrchestrationWakeAsync,
            _logger,
            stopping);

    private async Task ProcessAsync(OrchestrationWorkItem item, CancellationToken stopping)
    {
        var instance = item.Instance;
        try
        {
            await ProcessTurnAsync(item, null, null, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            _cache.Evict(instance.InstanceId);
            await _engine.Store.AbandonOrchestrationAsync(instance.InstanceId, _engine.WorkerId, _engine.UtcNow, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A runtime fault in one turn must not stop the dispatcher; the turn is retried later.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _cache.Evict(instance.InstanceId);
            Logs.TurnAbandoned(_logger, ex, instance.InstanceId, _engine.Options.TurnRetryDelay);
            await _engine.Store.AbandonOrchestrationAsync(instance.InstanceId, _engine.WorkerId, _engine.UtcNow + _engine.Options.TurnRetryDelay, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one turn and commits it; <paramref name="completedActivityId"/>: the turn holds no lease, and its one message is that activity's result, recorded by the commit.</summary>
    /// <returns>Whether the turn committed.</returns>
    private async Task<bool> ProcessTurnAsync(OrchestrationWorkItem item, OrchestrationExecutor? cached, long? completedActivityId, CancellationToken cancellationToken)
    {
        var instance = item.Instance;
        DateTime now = _engine.UtcNow;

        // Messages of an earlier execution, or for an instance that already finished, concern nobody. Results, timers and
        // starts carry the execution they belong to; events and commands from outside go to whichever execution is current.
        var stale = item.Messages.Where(m => instance.Status.IsTerminal() || (m.ExecutionId is not null && m.ExecutionId != instance.ExecutionId)).ToList();
        var live = item.Messages.Except(stale).OrderBy(m => m.Event is ExecutionStartedEvent ? 0 : 1).ThenBy(m => m.Id).ToList();
        if (live.Count == 0)
        {
            await _engine.Store.DiscardMessagesAsync(instance.InstanceId, _engine.WorkerId, [.. stale.Select(m => m.Id)], cancellationToken).ConfigureAwait(false);
            return true;
        }

        var consumed = stale.Select(m => m.Id).ToList();
        if (live.FirstOrDefault(m => m.Event is ExecutionTerminatedEvent) is { Event: ExecutionTerminatedEvent terminated })
        {
            consumed.AddRange(live.Select(m => m.Id));
            await TerminateAsync(instance, terminated, consumed, now, cancellationToken).ConfigureAwait(false);
            return true;
        }

        bool suspended = instance.Status == OrchestrationRuntimeStatus.Suspended;
        var control = new List<HistoryEvent>();
        var feed = new List<HistoryEvent>();
        foreach (var message in live)
        {
            switch (message.Event)
            {
                case ExecutionSuspendedEvent when !suspended:
                case ExecutionResumedEvent when suspended:
                    suspended = !suspended;
                    control.Add(message.Event);
                    consumed.Add(message.Id);
                    break;
                case ExecutionSuspendedEvent:
                case ExecutionResumedEvent:
                    consumed.Add(message.Id);
                    break;
                case var _ when suspended:
                    break; // Waits in the queue until the instance is resumed.
                case var _ when message.Id == 0:
                    feed.Add(message.Event); // recorded by the commit, not queued
                    break;
                default:
                    feed.Add(message.Event);
                    consumed.Add(message.Id);
                    break;
            }
        }

        // A timer resumes its orchestration no earlier than its fire time, even where the store rounds visibility to milliseconds.
        foreach (var fired in feed.OfType<TimerFiredEvent>())
        {
            if (fired.FireAt > now)
            {
                now = fired.FireAt;
            }
        }

        TurnResult? result = null;
        OrchestrationExecutor? executor = null;
        TaskFailureDetails? runtimeFailure = null;
        if (feed.Count > 0)
        {
            try
            {
                executor = cached ?? await GetExecutorAsync(instance, cancellationToken).ConfigureAwait(false);
                result = executor.ExecuteTurn(feed, now);
            }
            catch (NonDeterministicOrchestrationException ex)
            {
                Logs.NonDeterminism(_logger, instance.Name, instance.InstanceId, ex.Message);
                runtimeFailure = TaskFailureDetails.FromException(ex);
                executor = null;
            }
        }

        var history = new List<HistoryEvent>(control);
        var activities = new List<ActivitySpec>();
        var children = new List<ChildInstance>();
        var messages = new List<OutgoingMessage>();
        ExecutionCompletedEvent? completion = null;
        if (runtimeFailure is not null)
        {
            completion = new ExecutionCompletedEvent(OrchestrationRuntimeStatus.Failed, null, runtimeFailure) { Timestamp = now };
            history.Add(new OrchestratorStartedEvent { Timestamp = now });
            history.Add(completion);
        }
        else if (result is not null)
        {
            history.AddRange(result.NewHistory);
            completion = result.Completion;
            foreach (var action in result.Actions)
            {
                switch (action)
                {
                    case ScheduleTaskAction a:
                        activities.Add(new ActivitySpec(a.TaskId, a.Name, a.Input));
                        break;
                    case CreateTimerAction t:
                        messages.Add(new OutgoingMessage(instance.InstanceId, instance.ExecutionId, t.FireAt, new TimerFiredEvent(t.TaskId, t.FireAt) { Timestamp = t.FireAt }));
                        break;
                    case CreateSubOrchestrationAction s:
                        children.Add(new ChildInstance(s.InstanceId, s.Name, s.Input, s.Version, Guid.NewGuid().ToString("N"), new ParentInstanceInfo(instance.Name, instance.InstanceId, s.TaskId, instance.ExecutionId)));
                        break;
                    case SendEventAction e:
                        messages.Add(new OutgoingMessage(e.InstanceId, null, now, new EventRaisedEvent(e.Name, e.Input) { Timestamp = now }, OnlyIfInstanceExists: true));
                        break;
                }
            }
        }

        var status = completion?.Status
            ?? (suspended ? OrchestrationRuntimeStatus.Suspended
                : instance.Status == OrchestrationRuntimeStatus.Pending && result is null ? OrchestrationRuntimeStatus.Pending
                : OrchestrationRuntimeStatus.Running);
        ContinueAsNewRequest? continueAsNew = result?.ContinueAsNew;
        if (completion is not null && continueAsNew is null)
        {
            AddParentNotification(instance, completion, messages, now);
        }

        if (continueAsNew is not null)
        {
            status = OrchestrationRuntimeStatus.Running;
        }

        var commit = new TurnCommit(
            instance.InstanceId,
            instance.ExecutionId,
            _engine.WorkerId,
            now,
            instance.HistoryCount,
            history,
            consumed,
            new InstanceUpdate(status, FinalOutput(completion), result?.CustomStatus, result?.CustomStatusChanged ?? false, completion?.FailureDetails),
            activities,
            children,
            messages)
        {
            NextExecution = continueAsNew is null ? null : new NextExecution(Guid.NewGuid().ToString("N"), continueAsNew),
            CompletedActivityId = completedActivityId,
        };
        return await CommitAsync(instance, commit, executor, keepExecutor: continueAsNew is null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<OrchestrationExecutor> GetExecutorAsync(InstanceRecord instance, CancellationToken cancellationToken)
    {
        if (_cache.TryTake(instance.InstanceId, instance.ExecutionId, instance.HistoryCount) is { } cached)
        {
            return cached;
        }

        var executor = new OrchestrationExecutor(
            instance.InstanceId,
            instance.Name,
            _engine.Tasks.CreateOrchestrator(instance.Name, _engine.Services),
            _engine.Converter,
            _engine.LoggerFactory);
        if (instance.HistoryCount > 0)
        {
            var history = await _engine.Store.LoadHistoryAsync(instance.InstanceId, cancellationToken).ConfigureAwait(false);
            executor.Replay(history);
        }

        return executor;
    }

    private async Task TerminateAsync(InstanceRecord instance, ExecutionTerminatedEvent terminated, List<long> consumed, DateTime now, CancellationToken cancellationToken)
    {
        _cache.Evict(instance.InstanceId);
        var messages = new List<OutgoingMessage>();
        var failure = new TaskFailureDetails("OrchestrationTerminated", $"Sub-orchestration '{instance.InstanceId}' was terminated: {terminated.Output ?? "no reason given"}", null, null, null);
        AddParentNotification(instance, new ExecutionCompletedEvent(OrchestrationRuntimeStatus.Failed, null, failure), messages, now);

        var commit = new TurnCommit(
            instance.InstanceId,
            instance.ExecutionId,
            _engine.WorkerId,
            now,
            instance.HistoryCount,
            [new OrchestratorStartedEvent { Timestamp = now }, terminated with { Timestamp = now }],
            consumed,
            new InstanceUpdate(OrchestrationRuntimeStatus.Terminated, terminated.Output, null, false, null),
            [],
            [],
            messages);
        await CommitAsync(instance, commit, null, keepExecutor: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Commits a turn; then writes what <paramref name="executor"/> logged in it and, with <paramref name="keepExecutor"/>, caches it for the next turn.</summary>
    private async Task<bool> CommitAsync(InstanceRecord instance, TurnCommit commit, OrchestrationExecutor? executor, bool keepExecutor, CancellationToken cancellationToken)
    {
        // New activities go straight to this process's activity workers, leased in the commit, while they have room.
        int handedOver = _engine.Handoff.Reserve(commit.NewActivities.Count);
        if (handedOver > 0)
        {
            commit = commit with { LeaseActivities = new ActivityLease(_engine.UtcNow + _engine.Options.LeaseDuration, handedOver) };
        }

        CommittedTurn? committed;
        try
        {
            committed = await _engine.Store.CommitTurnAsync(commit, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _engine.Handoff.Cancel(handedOver);
            _cache.Evict(instance.InstanceId);
            throw;
        }

        if (committed is null)
        {
            _engine.Handoff.Cancel(handedOver);
            if (commit.CompletedActivityId is null)
            {
                Logs.TurnLockLost(_logger, instance.InstanceId);
            }

            return false;
        }

        executor?.FlushLogs();
        bool terminal = commit.Update.Status.IsTerminal();
        if (executor is not null && keepExecutor && !terminal && commit.NextExecution is null)
        {
            // Before the activities go out: a worker that runs the next turn itself must find the executor.
            _cache.Put(instance with { Status = commit.Update.Status, HistoryCount = commit.HistoryStart + commit.NewHistory.Count }, executor);
        }

        var leased = committed.LeasedActivities;
        if (leased.Count == 1 && commit.NewActivities.Count == 1 && executor is { OpenActivities: 1 })
        {
            // The orchestration waits for this activity alone: its worker records the result and runs the next turn itself.
            leased = [leased[0] with { RunsNextTurn = true }];
        }

        if (leased.Count > 0 && !_engine.Handoff.Deliver(leased, handedOver))
        {
            // The activity workers stopped meanwhile: give the items back to the table for the next worker.
            await _engine.Store.ReleaseActivitiesAsync(_engine.WorkerId, [.. leased.Select(a => a.Id)], CancellationToken.None).ConfigureAwait(false);
        }
        else if (leased.Count == 0)
        {
            _engine.Handoff.Cancel(handedOver);
        }

        if (commit.NewActivities.Count > leased.Count)
        {
            _engine.Handoff.MarkTableMayHaveWork();
        }

        if (commit.NewActivities.Count > 0)
        {
            _engine.Signals.ActivityWork.Pulse();
        }

        if (committed.MoreMessages || commit.NewChildren.Count > 0 || commit.NextExecution is not null || commit.NewMessages.Any(m => m.VisibleAt <= commit.Now))
        {
            _engine.Signals.OrchestrationWork.Pulse();
        }

        if (terminal)
        {
            Logs.OrchestrationFinished(_logger, instance.Name, instance.InstanceId, commit.Update.Status.ToString());
        }

        if (terminal || commit.Update.Status != instance.Status)
        {
            _engine.Signals.InstanceStateChanged.Pulse();
        }

        return true;
    }

    /// <summary>The instance's output: the result, or for a failure its message as plain text, as the Durable Task Framework stores it.</summary>
    private static string? FinalOutput(ExecutionCompletedEvent? completion) =>
        completion?.Status == OrchestrationRuntimeStatus.Failed ? completion.FailureDetails?.ErrorMessage : completion?.Result;

    /// <summary>Tells the parent, if any, how this sub-orchestration ended.</summary>
    private static void AddParentNotification(InstanceRecord instance, ExecutionCompletedEvent completion, List<OutgoingMessage> messages, DateTime now)
    {
        if (instance.ParentInstanceId is not { } parentId || instance.ParentTaskId is not { } taskId)
        {
            return;
        }

        HistoryEvent message = completion.Status == OrchestrationRuntimeStatus.Completed
            ? new SubOrchestrationInstanceCompletedEvent(taskId, completion.Result) { Timestamp = now }
            : new SubOrchestrationInstanceFailedEvent(taskId, completion.FailureDetails ?? new TaskFailureDetails("Unknown", "The sub-orchestration failed.", null, null, null)) { Timestamp = now };
        messages.Add(new OutgoingMessage(parentId, instance.ParentExecutionId, now, message));
    }
}
