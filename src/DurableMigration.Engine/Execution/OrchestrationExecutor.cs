using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using DurableMigration.Engine.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using CoreFailureDetails = DurableTask.Core.FailureDetails;
using CoreSubOrchestrationFailedException = DurableTask.Core.Exceptions.SubOrchestrationFailedException;
using CoreTaskFailedException = DurableTask.Core.Exceptions.TaskFailedException;

namespace DurableMigration.Engine.Execution;

/// <summary>What one turn of an orchestration produced: history to append, work to send out, and its end if it ended.</summary>
/// <param name="NewHistory">Events to append to the history, in order.</param>
/// <param name="Actions">Activities, timers, sub-orchestrations and sent events to send out.</param>
/// <param name="Completion">The orchestration's end, if it ended in this turn.</param>
/// <param name="ContinueAsNew">Set when the orchestration asked to start over; <paramref name="Completion"/> is then <c>ContinuedAsNew</c>.</param>
/// <param name="CustomStatus">The custom status as JSON after the turn.</param>
/// <param name="CustomStatusChanged">Whether the custom status differs from what the previous turn stored.</param>
internal sealed record TurnResult(
    IReadOnlyList<HistoryEvent> NewHistory,
    IReadOnlyList<OrchestratorAction> Actions,
    ExecutionCompletedEvent? Completion,
    ContinueAsNewRequest? ContinueAsNew,
    string? CustomStatus,
    bool CustomStatusChanged);

/// <summary>The embedded runtime's <see cref="TaskOrchestrationContext"/>: replays an instance's history, then feeds it new events one turn at a time.</summary>
/// <remarks>
/// <para>
/// The orchestrator's async state machine stays alive between turns, so a cached executor takes a turn in time
/// proportional to the new events only; a fresh executor replays the whole history first. Each call the
/// orchestrator makes gets a sequence id; during replay the recorded scheduling events must match those calls
/// one for one, or the instance fails with <see cref="NonDeterministicOrchestrationException"/>.
/// </para>
/// <para>
/// Semantics follow the Durable Task SDK's own context: retries from <see cref="RetryPolicy"/> as the Durable Task
/// Framework computes them, custom <see cref="AsyncRetryHandler"/>s, newest-waiter-first delivery of external
/// events, name-based <see cref="NewGuid"/> ids, and <c>NewGuid()</c>-based default sub-orchestration ids.
/// Durable entities are not supported.
/// </para>
/// <para>Not thread-safe: one turn at a time, driven by the dispatcher that holds the instance's lock.</para>
/// </remarks>
internal sealed class OrchestrationExecutor : TaskOrchestrationContext
{
    private static readonly Guid GuidNamespace = new("9e952958-5e33-4daf-827f-2fa12937b875");

    private readonly ITaskOrchestrator? _orchestrator;
    private readonly DataConverter _converter;
    private readonly TurnLogBuffer _logs;
    private readonly OrchestrationSynchronizationContext _syncContext = new();
    private readonly Dictionary<int, OpenTask> _openTasks = [];
    private readonly SortedDictionary<int, OrchestratorAction> _pendingActions = [];
    private readonly Dictionary<string, List<EventWaiter>> _eventWaiters = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(string Name, string? Input)> _bufferedEvents = [];
    private Task<object?>? _run;
    private string? _serializedInput;
    private object? _input;
    private int _nextTaskId;
    private int _guidCounter;
    private object? _customStatus;
    private string? _storedCustomStatus;
    private bool _customStatusStored;
    private bool _completed;
    private string _version = string.Empty;
    private ParentOrchestrationInstance? _parent;
    private DateTime _currentUtcDateTime;
    private bool _isReplaying;
    private (object? Input, bool PreserveEvents)? _continueAsNew;
    private TaskFailureDetails? _startFailure;

    public OrchestrationExecutor(string instanceId, string name, ITaskOrchestrator? orchestrator, DataConverter converter, ILoggerFactory loggerFactory)
    {
        InstanceId = instanceId;
        Name = new TaskName(name);
        _orchestrator = orchestrator;
        _converter = converter;
        _logs = new TurnLogBuffer(loggerFactory);
    }

    /// <inheritdoc/>
    public override TaskName Name { get; }

    /// <inheritdoc/>
    public override string InstanceId { get; }

    /// <inheritdoc/>
    public override ParentOrchestrationInstance? Parent => _parent;

    /// <inheritdoc/>
    public override DateTime CurrentUtcDateTime => _currentUtcDateTime;

    /// <summary>Gets how many activities the orchestration has scheduled and not yet seen finish.</summary>
    public int OpenActivities { get; private set; }

    /// <inheritdoc/>
    public override bool IsReplaying => _isReplaying;

    /// <inheritdoc/>
    public override string Version => _version;

    /// <inheritdoc/>
    public override TaskOrchestrationEntityFeature Entities =>
        throw new NotSupportedException("Durable entities are not supported by the embedded DurableMigration runtime; use orchestrations and activities, or run entity code on a Durable Task backend that has them.");

    /// <inheritdoc/>
    protected override ILoggerFactory LoggerFactory => _logs;

    /// <summary>Writes what the orchestration logged in the last turn; call once the turn has committed (see <see cref="TurnLogBuffer"/>).</summary>
    public void FlushLogs() => _logs.Flush();

    /// <summary>Replays recorded history; throws <see cref="NonDeterministicOrchestrationException"/> on a mismatch.</summary>
    public void Replay(IReadOnlyList<HistoryEvent> history)
    {
        _isReplaying = true;
        foreach (var historyEvent in history)
        {
            ApplyRecorded(historyEvent);
        }

        if (_pendingActions.Count > 0 && history.Count > 0)
        {
            // Calls the recorded history does not have: the code now does more than it did when the history was written.
            var extra = _pendingActions.Values.First();
            throw new NonDeterministicOrchestrationException(
                $"Non-deterministic orchestration '{Name.Name}' ({InstanceId}): on replay the code scheduled {extra.Describe()}, which the recorded history does not contain.");
        }
    }

    /// <summary>Runs one turn: applies <paramref name="newEvents"/> at time <paramref name="now"/> and collects what the orchestrator asked for.</summary>
    public TurnResult ExecuteTurn(IReadOnlyList<HistoryEvent> newEvents, DateTime now)
    {
        _logs.Clear();
        _isReplaying = false;
        var history = new List<HistoryEvent>(newEvents.Count + 4);
        var started = new OrchestratorStartedEvent { Timestamp = now };
        _currentUtcDateTime = now;
        history.Add(started);

        foreach (var newEvent in newEvents)
        {
            if (Apply(newEvent))
            {
                history.Add(newEvent);
            }
        }

        var actions = new List<OrchestratorAction>(_pendingActions.Values);
        _pendingActions.Clear();
        foreach (var action in actions)
        {
            history.Add(action switch
            {
                ScheduleTaskAction a => new TaskScheduledEvent(a.TaskId, a.Name, a.Input) { Timestamp = now },
                CreateTimerAction t => new TimerCreatedEvent(t.TaskId, t.FireAt) { Timestamp = now },
                CreateSubOrchestrationAction s => new SubOrchestrationInstanceCreatedEvent(s.TaskId, s.Name, s.InstanceId, s.Input) { Timestamp = now },
                SendEventAction e => new EventSentEvent(e.TaskId, e.InstanceId, e.Name, e.Input) { Timestamp = now },
                _ => throw new InvalidOperationException($"Unknown action {action}."),
            });
        }

        ContinueAsNewRequest? continueAsNew = null;
        ExecutionCompletedEvent? completion = TryComplete(now);
        if (completion is not null)
        {
            history.Add(completion);
            if (completion.Status == RuntimeStatusExtensions.ContinuedAsNew && _continueAsNew is { } next)
            {
                continueAsNew = new ContinueAsNewRequest(
                    _converter.Serialize(next.Input),
                    _version,
                    next.PreserveEvents ? [.. _bufferedEvents] : []);
                // Events and messages the old execution sends out still go; its own timers and tasks die with it.
                actions.RemoveAll(a => a is not SendEventAction);
            }
            else
            {
                // Nothing is sent out for an orchestration that already ended, except events it sent to others.
                actions.RemoveAll(a => a is not SendEventAction);
            }
        }

        // A fresh executor does not know what the store holds, so its first turn always writes the status.
        string? customStatus = _converter.Serialize(_customStatus);
        bool changed = !_customStatusStored || !string.Equals(customStatus, _storedCustomStatus, StringComparison.Ordinal);
        _storedCustomStatus = customStatus;
        _customStatusStored = true;
        return new TurnResult(history, actions, completion, continueAsNew, customStatus, changed);
    }

    /// <inheritdoc/>
    public override T? GetInput<T>()
        where T : default => _input is T typed ? typed : _converter.Deserialize<T>(_serializedInput);

    /// <inheritdoc/>
    public override Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name.Name, nameof(name));
        EnsureOrchestratorThread();
        if (input is TaskOptions && options is null)
        {
            throw new ArgumentException(
                $"A {nameof(TaskOptions)} value was passed as the activity input but none as {nameof(options)}; pass it as {nameof(options)} instead.",
                nameof(input));
        }

        string? serialized = _converter.Serialize(input);
        return CallWithRetryAsync<TResult>(name.Name, isSubOrchestration: false, options?.Retry, () =>
        {
            int id = _nextTaskId++;
            var task = Open(id, TaskKind.Activity, name.Name);
            _pendingActions.Add(id, new ScheduleTaskAction(id, name.Name, serialized));
            return task;
        });
    }

    /// <inheritdoc/>
    public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orchestratorName.Name, nameof(orchestratorName));
        EnsureOrchestratorThread();
        string? serialized = _converter.Serialize(input);
        var subOptions = options as SubOrchestrationOptions;
        // As the SDK does: one id for every attempt, chosen before the first.
        string childId = subOptions?.InstanceId ?? NewGuid().ToString("N");
        string? version = subOptions?.Version?.Version ?? options?.Version?.Version;
        return CallWithRetryAsync<TResult>(orchestratorName.Name, isSubOrchestration: true, options?.Retry, () =>
        {
            int id = _nextTaskId++;
            var task = Open(id, TaskKind.SubOrchestration, orchestratorName.Name);
            _pendingActions.Add(id, new CreateSubOrchestrationAction(id, orchestratorName.Name, childId, serialized, version));
            return task;
        });
    }

    /// <inheritdoc/>
    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        EnsureOrchestratorThread();
        int id = _nextTaskId++;
        var task = Open(id, TaskKind.Timer, "timer");
        DateTime utc = fireAt.Kind == DateTimeKind.Local ? fireAt.ToUniversalTime() : DateTime.SpecifyKind(fireAt, DateTimeKind.Utc);
        _pendingActions.Add(id, new CreateTimerAction(id, utc));
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() =>
            {
                // The durable timer still fires later; with its task gone it is simply ignored.
                if (_openTasks.Remove(id, out var open))
                {
                    open.Completion.TrySetCanceled(cancellationToken);
                }
            });
        }

        return task;
    }

    /// <inheritdoc/>
    public override async Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        EnsureOrchestratorThread();
        string? payload;
        int buffered = _bufferedEvents.FindIndex(e => string.Equals(e.Name, eventName, StringComparison.OrdinalIgnoreCase));
        if (buffered >= 0)
        {
            payload = _bufferedEvents[buffered].Input;
            _bufferedEvents.RemoveAt(buffered);
        }
        else
        {
            var waiter = new EventWaiter(new TaskCompletionSource<string?>());
            if (!_eventWaiters.TryGetValue(eventName, out var waiters))
            {
                _eventWaiters[eventName] = waiters = [];
            }

            waiters.Add(waiter);
            if (cancellationToken.CanBeCanceled)
            {
                cancellationToken.Register(() =>
                {
                    if (waiters.Remove(waiter))
                    {
                        waiter.Completion.TrySetCanceled(cancellationToken);
                    }
                });
            }

#pragma warning disable CA2007 // Orchestrator code: the continuation must stay on the orchestrator thread.
            payload = await waiter.Completion.Task;
#pragma warning restore CA2007
        }

        return Deserialize<T>(payload, eventName);
    }

    /// <inheritdoc/>
    public override void SendEvent(string instanceId, string eventName, object payload)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        EnsureOrchestratorThread();
        int id = _nextTaskId++;
        _pendingActions.Add(id, new SendEventAction(id, instanceId, eventName, _converter.Serialize(payload)));
    }

    /// <inheritdoc/>
    public override void SetCustomStatus(object? customStatus)
    {
        EnsureOrchestratorThread();
        _customStatus = customStatus;
    }

    /// <inheritdoc/>
    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true)
    {
        EnsureOrchestratorThread();
        _continueAsNew = (newInput, preserveUnprocessedEvents);
    }

    /// <inheritdoc/>
    public override Guid NewGuid()
    {
        EnsureOrchestratorThread();
        // Name-based UUID (RFC 4122 §4.3, version 5) from instance id, turn time and a counter, as the Durable Task SDK computes it.
        string name = string.Concat(InstanceId, "_", CurrentUtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture), "_", _guidCounter++.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Span<byte> namespaceBytes = stackalloc byte[16];
        GuidNamespace.TryWriteBytes(namespaceBytes, bigEndian: true, out _);
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        byte[] buffer = new byte[16 + nameBytes.Length];
        namespaceBytes.CopyTo(buffer);
        nameBytes.CopyTo(buffer, 16);
#pragma warning disable CA5350 // SHA-1 is what RFC 4122 prescribes for version-5 UUIDs; it is an identifier, not a security hash.
        byte[] hash = SHA1.HashData(buffer);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    private static bool IsInfinite(TimeSpan span) => span == Timeout.InfiniteTimeSpan || span == TimeSpan.MaxValue;

    /// <summary>The Durable Task Framework's retry delay: zero (stop) when the policy refuses, the attempts or the timeout are used up.</summary>
    private TimeSpan NextRetryDelay(RetryPolicy policy, int attempt, DateTime firstAttempt, Exception coreFailure)
    {
        if (attempt >= policy.MaxNumberOfAttempts - 1 || !policy.Handle(coreFailure))
        {
            return TimeSpan.Zero;
        }

        if (!IsInfinite(policy.RetryTimeout) && CurrentUtcDateTime >= firstAttempt + policy.RetryTimeout)
        {
            return TimeSpan.Zero;
        }

        double delayMs = policy.FirstRetryInterval.TotalMilliseconds * Math.Pow(policy.BackoffCoefficient, attempt);
        return IsInfinite(policy.MaxRetryInterval) || delayMs < policy.MaxRetryInterval.TotalMilliseconds
            ? TimeSpan.FromMilliseconds(delayMs)
            : policy.MaxRetryInterval;
    }

    private async Task<TResult> CallWithRetryAsync<TResult>(string name, bool isSubOrchestration, TaskRetryOptions? retry, Func<Task<string?>> attempt)
    {
#pragma warning disable CA2007 // Orchestrator code: the continuation must stay on the orchestrator thread.
        if (retry?.Policy is { } policy)
        {
            DateTime firstAttempt = CurrentUtcDateTime;
            for (int attemptNumber = 0; ; attemptNumber++)
            {
                try
                {
                    return Deserialize<TResult>(await attempt(), name);
                }
                catch (TaskFailedException failure) when (!IsNonRetriable(failure))
                {
                    TimeSpan delay = NextRetryDelay(policy, attemptNumber, firstAttempt, ToCoreException(failure, isSubOrchestration));
                    if (delay <= TimeSpan.Zero)
                    {
                        throw;
                    }

                    await CreateTimer(CurrentUtcDateTime.Add(delay), CancellationToken.None);
                }
            }
        }

        if (retry?.Handler is { } handler)
        {
            DateTime started = CurrentUtcDateTime;
            for (int failures = 1; ; failures++)
            {
                try
                {
                    return Deserialize<TResult>(await attempt(), name);
                }
                catch (TaskFailedException failure) when (!IsNonRetriable(failure))
                {
                    var context = new RetryContext(this, failures, failure.FailureDetails, CurrentUtcDateTime - started, CancellationToken.None);
                    if (!await handler(context))
                    {
                        ExceptionDispatchInfo.Throw(failure);
                    }
                }
            }
        }

        return Deserialize<TResult>(await attempt(), name);
#pragma warning restore CA2007
    }

    private static bool IsNonRetriable(TaskFailedException failure) => failure.Data[NonRetriableKey] is true;

    private const string NonRetriableKey = "DurableMigration.NonRetriable";

    /// <summary>The Durable Task Framework exception that <see cref="RetryPolicy.Handle"/> expects (its <c>HandleFailure</c> reads the failure details from it).</summary>
    private static Exception ToCoreException(TaskFailedException failure, bool isSubOrchestration)
    {
        var details = ToCoreDetails(failure.FailureDetails);
        Exception core = isSubOrchestration
            ? new CoreSubOrchestrationFailedException(0, failure.TaskId, failure.TaskName, string.Empty, failure.Message, null) { FailureDetails = details }
            : new CoreTaskFailedException(0, failure.TaskId, failure.TaskName, string.Empty, failure.Message, null) { FailureDetails = details };
        return core;
    }

    private static CoreFailureDetails ToCoreDetails(TaskFailureDetails details) =>
        new(details.ErrorType, details.ErrorMessage, details.StackTrace, details.InnerFailure is { } inner ? ToCoreDetails(inner) : null, isNonRetriable: false);

    private T Deserialize<T>(string? json, string source)
    {
        try
        {
            if (json is null)
            {
                return default!;
            }

            return (T)_converter.Deserialize(json, typeof(T))!;
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new InvalidOperationException($"The result of '{source}' could not be read as {typeof(T).Name}: {ex.Message}", ex);
        }
    }

    private Task<string?> Open(int id, TaskKind kind, string name)
    {
        var open = new OpenTask(kind, name, new TaskCompletionSource<string?>());
        _openTasks.Add(id, open);
        if (kind == TaskKind.Activity)
        {
            OpenActivities++;
        }

        return open.Completion.Task;
    }

    private void EnsureOrchestratorThread()
    {
        if (!_syncContext.IsOwnerThread)
        {
            throw new InvalidOperationException(
                $"Orchestration '{Name.Name}' ({InstanceId}) called its context from another thread. Orchestrator code must await only tasks from the context: no Task.Run, Task.Delay, I/O or ConfigureAwait(false).");
        }
    }

    private void ApplyRecorded(HistoryEvent recorded)
    {
        switch (recorded)
        {
            case TaskScheduledEvent e:
                Match(e.TaskId, e.EventType, e.Name, a => a is ScheduleTaskAction s && s.Name == e.Name);
                break;
            case TimerCreatedEvent e:
                Match(e.TaskId, e.EventType, "timer", a => a is CreateTimerAction);
                break;
            case SubOrchestrationInstanceCreatedEvent e:
                Match(e.TaskId, e.EventType, e.Name, a => a is CreateSubOrchestrationAction s && s.Name == e.Name && s.InstanceId == e.InstanceId);
                break;
            case EventSentEvent e:
                Match(e.TaskId, e.EventType, e.Name, a => a is SendEventAction s && s.Name == e.Name && s.InstanceId == e.InstanceId);
                break;
            case ExecutionCompletedEvent:
            case ExecutionTerminatedEvent:
                break;
            default:
                Apply(recorded);
                break;
        }
    }

    private void Match(int taskId, HistoryEventType recordedType, string recordedName, Func<OrchestratorAction, bool> matches)
    {
        if (!_pendingActions.Remove(taskId, out var action))
        {
            throw new NonDeterministicOrchestrationException(
                $"Non-deterministic orchestration '{Name.Name}' ({InstanceId}): the history has {recordedType} '{recordedName}' (task #{taskId}), but on replay the code made no such call.");
        }

        if (!matches(action))
        {
            throw new NonDeterministicOrchestrationException(
                $"Non-deterministic orchestration '{Name.Name}' ({InstanceId}): the history expects {recordedType} '{recordedName}' (task #{taskId}), but on replay the code scheduled {action.Describe()}.");
        }
    }

    /// <summary>Applies one event; returns false for events that no longer concern the orchestration (duplicates, cancelled timers).</summary>
    private bool Apply(HistoryEvent historyEvent)
    {
        switch (historyEvent)
        {
            case OrchestratorStartedEvent e:
                _currentUtcDateTime = DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc);
                return true;
            case ExecutionStartedEvent e:
                if (_run is not null)
                {
                    return false;
                }

                Start(e);
                return true;
            case TaskCompletedEvent e:
                return Resolve(e.TaskScheduledId, TaskKind.Activity, open => open.Completion.TrySetResult(e.Result));
            case TaskFailedEvent e:
                return Resolve(e.TaskScheduledId, TaskKind.Activity, open => open.Completion.TrySetException(Failure(open.Name, e.TaskScheduledId, e.FailureDetails, e.IsNonRetriable)));
            case SubOrchestrationInstanceCompletedEvent e:
                return Resolve(e.TaskScheduledId, TaskKind.SubOrchestration, open => open.Completion.TrySetResult(e.Result));
            case SubOrchestrationInstanceFailedEvent e:
                return Resolve(e.TaskScheduledId, TaskKind.SubOrchestration, open => open.Completion.TrySetException(Failure(open.Name, e.TaskScheduledId, e.FailureDetails, nonRetriable: false)));
            case TimerFiredEvent e:
                return Resolve(e.TimerId, TaskKind.Timer, open => open.Completion.TrySetResult(null));
            case EventRaisedEvent e:
                RaiseEvent(e);
                return true;
            case ExecutionSuspendedEvent:
            case ExecutionResumedEvent:
                return true;
            default:
                return false;
        }
    }

    private static TaskFailedException Failure(string name, int taskId, TaskFailureDetails details, bool nonRetriable)
    {
        var failure = new TaskFailedException(name, taskId, details);
        if (nonRetriable)
        {
            failure.Data[NonRetriableKey] = true;
        }

        return failure;
    }

    private void Start(ExecutionStartedEvent started)
    {
        _serializedInput = started.Input;
        _version = started.Version ?? string.Empty;
        _parent = started.Parent is { } p ? new ParentOrchestrationInstance(new TaskName(p.Name), p.InstanceId) : null;
        _syncContext.Run(() =>
        {
            if (_orchestrator is null)
            {
                // As the Durable Task Framework reports it, with no inner failure.
                _startFailure = new TaskFailureDetails("OrchestratorTaskNotFound", $"No orchestrator task named '{Name.Name}' was found.", null, null, null);
                _run = Task.FromResult<object?>(null);
                return;
            }

            try
            {
                _input = _converter.Deserialize(started.Input, _orchestrator.InputType);
            }
            catch (System.Text.Json.JsonException ex)
            {
                _run = Task.FromException<object?>(new InvalidOperationException(
                    $"The input of orchestration '{Name.Name}' could not be read as {_orchestrator.InputType.Name}: {ex.Message}", ex));
                return;
            }

            try
            {
                _run = _orchestrator.RunAsync(this, _input);
            }
#pragma warning disable CA1031 // Any exception thrown synchronously by orchestrator code fails the orchestration, as an async throw would.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _run = Task.FromException<object?>(ex);
            }
        });
    }

    private bool Resolve(int taskId, TaskKind kind, Action<OpenTask> complete)
    {
        if (!_openTasks.TryGetValue(taskId, out var open) || open.Kind != kind)
        {
            return false;
        }

        _openTasks.Remove(taskId);
        if (kind == TaskKind.Activity)
        {
            OpenActivities--;
        }

        _syncContext.Run(() => complete(open));
        return true;
    }

    private void RaiseEvent(EventRaisedEvent raised)
    {
        // The newest waiter gets the event, as in the SDK: in a WhenAny(event, timer) loop the older waiters are abandoned.
        if (_eventWaiters.TryGetValue(raised.Name, out var waiters) && waiters.Count > 0)
        {
            var newest = waiters[^1];
            waiters.RemoveAt(waiters.Count - 1);
            _syncContext.Run(() => newest.Completion.TrySetResult(raised.Input));
            return;
        }

        _bufferedEvents.Add((raised.Name, raised.Input));
    }

    private ExecutionCompletedEvent? TryComplete(DateTime now)
    {
        if (_completed || _run is null)
        {
            return null;
        }

        if (_syncContext.ReceivedForeignPost || !_run.IsCompleted)
        {
            bool waitsForEvent = _eventWaiters.Values.Any(w => w.Count > 0);
            if (!_syncContext.ReceivedForeignPost && (_openTasks.Count > 0 || waitsForEvent))
            {
                return null;
            }

            // The orchestrator awaits a task the runtime cannot see (or one completed off the orchestrator thread).
            _completed = true;
            return new ExecutionCompletedEvent(
                OrchestrationRuntimeStatus.Failed,
                null,
                TaskFailureDetails.FromException(new InvalidOperationException(
                    $"Orchestration '{Name.Name}' ({InstanceId}) awaited a task that was not created by its context (Task.Delay, Task.Run, I/O?); orchestrator code must await only tasks from the context.")))
            { Timestamp = now };
        }

        if (_startFailure is not null)
        {
            _completed = true;
            return new ExecutionCompletedEvent(OrchestrationRuntimeStatus.Failed, null, _startFailure) { Timestamp = now };
        }

        // As in Durable Functions, an orchestration does not complete while a timer it created is neither fired nor cancelled.
        if (_run.IsCompletedSuccessfully && _openTasks.Values.Any(t => t.Kind == TaskKind.Timer))
        {
            return null;
        }

        _completed = true;
        if (_run.IsCompletedSuccessfully)
        {
            return _continueAsNew is not null
                ? new ExecutionCompletedEvent(RuntimeStatusExtensions.ContinuedAsNew, null, null) { Timestamp = now }
                : new ExecutionCompletedEvent(OrchestrationRuntimeStatus.Completed, _converter.Serialize(_run.Result), null) { Timestamp = now };
        }

        Exception failure = _run.Exception?.InnerException ?? (Exception?)_run.Exception ?? new TaskCanceledException(_run);
        return new ExecutionCompletedEvent(OrchestrationRuntimeStatus.Failed, null, DescribeFailure(failure)) { Timestamp = now };
    }

    /// <summary>As the SDK records an orchestration failure: an unhandled task failure keeps the task's own failure as the inner one.</summary>
    private static TaskFailureDetails DescribeFailure(Exception failure) => failure is TaskFailedException taskFailure
        ? new TaskFailureDetails(failure.GetType().FullName!, failure.Message, failure.StackTrace, taskFailure.FailureDetails, null)
        : TaskFailureDetails.FromException(failure);

    private enum TaskKind
    {
        Activity,
        SubOrchestration,
        Timer,
    }

    private sealed record OpenTask(TaskKind Kind, string Name, TaskCompletionSource<string?> Completion);

    private sealed record EventWaiter(TaskCompletionSource<string?> Completion);
}
