using System.Security.Cryptography;
using System.Text;
using DurableMigration.Client;
using DurableMigration.Engine.History;
using DurableMigration.Engine.Serialization;
using DurableMigration.Orchestration;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Engine.Execution;

/// <summary>What one turn of an orchestration produced: history to append, work to send out, and its end if it ended.</summary>
/// <param name="NewHistory">Events to append to the history, in order.</param>
/// <param name="Actions">Activities, timers and sub-orchestrations to send out.</param>
/// <param name="Completion">The orchestration's end, if it ended in this turn.</param>
/// <param name="CustomStatus">The custom status as JSON after the turn.</param>
/// <param name="CustomStatusChanged">Whether the custom status differs from what the previous turn stored.</param>
internal sealed record TurnResult(
    IReadOnlyList<HistoryEvent> NewHistory,
    IReadOnlyList<OrchestratorAction> Actions,
    ExecutionCompletedEvent? Completion,
    string? CustomStatus,
    bool CustomStatusChanged);

/// <summary>Runs one orchestration instance: replays its history, then feeds it new events one turn at a time.</summary>
/// <remarks>
/// <para>
/// The orchestrator's async state machine stays alive between turns, so a cached executor takes a turn in time
/// proportional to the new events only; a fresh executor replays the whole history first. Each call the
/// orchestrator makes gets a sequence id; during replay the recorded scheduling events must match those calls
/// one for one, or the instance fails with <see cref="NonDeterministicOrchestrationException"/>.
/// </para>
/// <para>Not thread-safe: one turn at a time, driven by the dispatcher that holds the instance's lock.</para>
/// </remarks>
internal sealed class OrchestrationExecutor : IOrchestrationContext
{
    private static readonly Guid GuidNamespace = new("9e952958-5e33-4daf-827f-2fa12937b875");

    private readonly IOrchestrator? _orchestrator;
    private readonly JsonDataConverter _converter;
    private readonly ILoggerFactory _loggerFactory;
    private readonly OrchestrationSynchronizationContext _syncContext = new();
    private readonly Dictionary<int, OpenTask> _openTasks = [];
    private readonly SortedDictionary<int, OrchestratorAction> _pendingActions = [];
    private readonly Dictionary<string, LinkedList<TaskCompletionSource<string?>>> _eventWaiters = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Queue<string?>> _bufferedEvents = new(StringComparer.OrdinalIgnoreCase);
    private Task<object?>? _run;
    private string? _serializedInput;
    private object? _input;
    private int _nextTaskId;
    private int _guidCounter;
    private int _threadId;
    private object? _customStatus;
    private string? _storedCustomStatus;
    private bool _customStatusStored;
    private bool _completed;

    public OrchestrationExecutor(string instanceId, string name, IOrchestrator? orchestrator, JsonDataConverter converter, ILoggerFactory loggerFactory)
    {
        InstanceId = instanceId;
        Name = name;
        _orchestrator = orchestrator;
        _converter = converter;
        _loggerFactory = loggerFactory;
    }

    public string InstanceId { get; }

    public string Name { get; }

    public ParentOrchestrationInstance? Parent { get; private set; }

    public DateTime CurrentUtcDateTime { get; private set; }

    public bool IsReplaying { get; private set; }

    /// <summary>Replays recorded history; throws <see cref="NonDeterministicOrchestrationException"/> on a mismatch.</summary>
    public void Replay(IReadOnlyList<HistoryEvent> history)
    {
        IsReplaying = true;
        foreach (var historyEvent in history)
        {
            ApplyRecorded(historyEvent);
        }

        if (_pendingActions.Count > 0 && history.Count > 0)
        {
            // Calls the recorded history does not have: the code now does more than it did when the history was written.
            var extra = _pendingActions.Values.First();
            throw new NonDeterministicOrchestrationException(
                $"Non-deterministic orchestration '{Name}' ({InstanceId}): on replay the code scheduled {extra.Describe()}, which the recorded history does not contain.");
        }
    }

    /// <summary>Runs one turn: applies <paramref name="newEvents"/> at time <paramref name="now"/> and collects what the orchestrator asked for.</summary>
    public TurnResult ExecuteTurn(IReadOnlyList<HistoryEvent> newEvents, DateTime now)
    {
        IsReplaying = false;
        var history = new List<HistoryEvent>(newEvents.Count + 4);
        var started = new OrchestratorStartedEvent { Timestamp = now };
        CurrentUtcDateTime = now;
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
                _ => throw new InvalidOperationException($"Unknown action {action}."),
            });
        }

        ExecutionCompletedEvent? completion = TryComplete(now);
        if (completion is not null)
        {
            history.Add(completion);
            actions.Clear(); // Nothing is sent out for an orchestration that already ended.
        }

        // A fresh executor does not know what the store holds, so its first turn always writes the status.
        string? customStatus = _converter.Serialize(_customStatus);
        bool changed = !_customStatusStored || !string.Equals(customStatus, _storedCustomStatus, StringComparison.Ordinal);
        _storedCustomStatus = customStatus;
        _customStatusStored = true;
        return new TurnResult(history, actions, completion, customStatus, changed);
    }

    public Task<TResult> CallActivityAsync<TResult>(string name, object? input = null, TaskOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        EnsureOrchestratorThread();
        string? serialized = _converter.Serialize(input);
        return WithRetryAsync<TResult>(name, options?.Retry, () =>
        {
            int id = _nextTaskId++;
            var task = Open(id, TaskKind.Activity, name);
            _pendingActions.Add(id, new ScheduleTaskAction(id, name, serialized));
            return task;
        });
    }

    public Task<TResult> CallSubOrchestratorAsync<TResult>(string orchestratorName, object? input = null, TaskOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orchestratorName);
        EnsureOrchestratorThread();
        string? serialized = _converter.Serialize(input);
        string? chosenId = (options as SubOrchestrationOptions)?.InstanceId;
        return WithRetryAsync<TResult>(orchestratorName, options?.Retry, () =>
        {
            int id = _nextTaskId++;
            var task = Open(id, TaskKind.SubOrchestration, orchestratorName);
            string childId = chosenId ?? $"{InstanceId}:{id:D4}";
            _pendingActions.Add(id, new CreateSubOrchestrationAction(id, orchestratorName, childId, serialized));
            return task;
        });
    }

    public Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        EnsureOrchestratorThread();
        int id = _nextTaskId++;
        var task = Open(id, TaskKind.Timer, "timer");
        _pendingActions.Add(id, new CreateTimerAction(id, fireAt.Kind == DateTimeKind.Local ? fireAt.ToUniversalTime() : DateTime.SpecifyKind(fireAt, DateTimeKind.Utc)));
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() =>
            {
                if (_openTasks.Remove(id, out var open))
                {
                    open.Completion.TrySetCanceled(cancellationToken);
                }
            });
        }

        return task;
    }

    public async Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        EnsureOrchestratorThread();
        string? payload;
        if (_bufferedEvents.TryGetValue(eventName, out var buffered) && buffered.Count > 0)
        {
            payload = buffered.Dequeue();
        }
        else
        {
            var waiter = new TaskCompletionSource<string?>();
            if (!_eventWaiters.TryGetValue(eventName, out var waiters))
            {
                _eventWaiters[eventName] = waiters = new LinkedList<TaskCompletionSource<string?>>();
            }

            var node = waiters.AddLast(waiter);
            if (cancellationToken.CanBeCanceled)
            {
                cancellationToken.Register(() =>
                {
                    if (node.List is not null)
                    {
                        waiters.Remove(node);
                        waiter.TrySetCanceled(cancellationToken);
                    }
                });
            }

#pragma warning disable CA2007 // Orchestrator code: the continuation must stay on the orchestrator thread.
            payload = await waiter.Task;
#pragma warning restore CA2007
        }

        return Deserialize<T>(payload, eventName);
    }

    public void SetCustomStatus(object? customStatus)
    {
        EnsureOrchestratorThread();
        _customStatus = customStatus;
    }

    public Guid NewGuid()
    {
        EnsureOrchestratorThread();
        // Name-based UUID (RFC 4122 §4.3, version 5) from instance id, turn time and a counter: the same on every replay.
        string name = $"{InstanceId}_{CurrentUtcDateTime:o}_{_guidCounter++}";
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

    public ILogger CreateReplaySafeLogger(string categoryName) =>
        new ReplaySafeLogger(this, _loggerFactory.CreateLogger(categoryName));

    public T? GetInput<T>() => _input is T typed ? typed : _converter.Deserialize<T>(_serializedInput);

    private async Task<TResult> WithRetryAsync<TResult>(string name, RetryPolicy? policy, Func<Task<string?>> attempt)
    {
        DateTime firstAttemptAt = CurrentUtcDateTime;
        for (int attemptNumber = 1; ; attemptNumber++)
        {
            try
            {
#pragma warning disable CA2007 // Orchestrator code: the continuation must stay on the orchestrator thread.
                string? result = await attempt();
                return Deserialize<TResult>(result, name)!;
            }
            catch (TaskFailedException failure) when (policy is not null)
            {
                TimeSpan? delay = policy.NextDelay(attemptNumber, CurrentUtcDateTime - firstAttemptAt, failure.FailureDetails);
                if (delay is null)
                {
                    throw;
                }

                await CreateTimer(CurrentUtcDateTime.Add(delay.Value), CancellationToken.None);
#pragma warning restore CA2007
            }
        }
    }

    private T Deserialize<T>(string? json, string source)
    {
        try
        {
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
        return open.Completion.Task;
    }

    private void EnsureOrchestratorThread()
    {
        if (Environment.CurrentManagedThreadId != _threadId)
        {
            throw new InvalidOperationException(
                $"Orchestration '{Name}' ({InstanceId}) called its context from another thread. Orchestrator code must await only tasks from the context: no Task.Run, Task.Delay, I/O or ConfigureAwait(false).");
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
                $"Non-deterministic orchestration '{Name}' ({InstanceId}): the history has {recordedType} '{recordedName}' (task #{taskId}), but on replay the code made no such call.");
        }

        if (!matches(action))
        {
            throw new NonDeterministicOrchestrationException(
                $"Non-deterministic orchestration '{Name}' ({InstanceId}): the history expects {recordedType} '{recordedName}' (task #{taskId}), but on replay the code scheduled {action.Describe()}.");
        }
    }

    /// <summary>Applies one event; returns false for events that no longer concern the orchestration (duplicates, cancelled timers).</summary>
    private bool Apply(HistoryEvent historyEvent)
    {
        switch (historyEvent)
        {
            case OrchestratorStartedEvent e:
                CurrentUtcDateTime = e.Timestamp;
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
                return Resolve(e.TaskScheduledId, TaskKind.Activity, open => open.Completion.TrySetException(new TaskFailedException(open.Name, e.TaskScheduledId, e.FailureDetails)));
            case SubOrchestrationInstanceCompletedEvent e:
                return Resolve(e.TaskScheduledId, TaskKind.SubOrchestration, open => open.Completion.TrySetResult(e.Result));
            case SubOrchestrationInstanceFailedEvent e:
                return Resolve(e.TaskScheduledId, TaskKind.SubOrchestration, open => open.Completion.TrySetException(new TaskFailedException(open.Name, e.TaskScheduledId, e.FailureDetails)));
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

    private void Start(ExecutionStartedEvent started)
    {
        _serializedInput = started.Input;
        Parent = started.Parent is { } p ? new ParentOrchestrationInstance(p.Name, p.InstanceId) : null;
        RunOnOrchestratorThread(() =>
        {
            if (_orchestrator is null)
            {
                _run = Task.FromException<object?>(new InvalidOperationException(
                    $"No orchestrator named '{Name}' is registered with this host."));
                return;
            }

            try
            {
                _input = _converter.Deserialize(started.Input, _orchestrator.InputType);
            }
            catch (System.Text.Json.JsonException ex)
            {
                _run = Task.FromException<object?>(new InvalidOperationException(
                    $"The input of orchestration '{Name}' could not be read as {_orchestrator.InputType.Name}: {ex.Message}", ex));
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
        RunOnOrchestratorThread(() => complete(open));
        return true;
    }

    private void RaiseEvent(EventRaisedEvent raised)
    {
        if (_eventWaiters.TryGetValue(raised.Name, out var waiters) && waiters.First is { } first)
        {
            waiters.RemoveFirst();
            RunOnOrchestratorThread(() => first.Value.TrySetResult(raised.Input));
            return;
        }

        if (!_bufferedEvents.TryGetValue(raised.Name, out var buffered))
        {
            _bufferedEvents[raised.Name] = buffered = new Queue<string?>();
        }

        buffered.Enqueue(raised.Input);
    }

    private void RunOnOrchestratorThread(Action action)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(_syncContext);
        _threadId = Environment.CurrentManagedThreadId;
        try
        {
            action();
            _syncContext.Drain();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private ExecutionCompletedEvent? TryComplete(DateTime now)
    {
        if (_completed || _run is null)
        {
            return null;
        }

        if (!_run.IsCompleted)
        {
            bool waitsForEvent = _eventWaiters.Values.Any(w => w.Count > 0);
            if (_openTasks.Count > 0 || waitsForEvent)
            {
                return null;
            }

            // Nothing durable is outstanding, yet the orchestrator has not returned: it awaits a task the runtime cannot see.
            _completed = true;
            return new ExecutionCompletedEvent(
                OrchestrationRuntimeStatus.Failed,
                null,
                TaskFailureDetails.FromException(new InvalidOperationException(
                    $"Orchestration '{Name}' ({InstanceId}) is waiting for a task that was not created by its context; orchestrator code must await only context tasks.")))
            { Timestamp = now };
        }

        _completed = true;
        if (_run.IsCompletedSuccessfully)
        {
            return new ExecutionCompletedEvent(OrchestrationRuntimeStatus.Completed, _converter.Serialize(_run.Result), null) { Timestamp = now };
        }

        Exception failure = _run.Exception?.InnerException ?? (Exception?)_run.Exception ?? new TaskCanceledException(_run);
        return new ExecutionCompletedEvent(OrchestrationRuntimeStatus.Failed, null, TaskFailureDetails.FromException(failure)) { Timestamp = now };
    }

    private enum TaskKind
    {
        Activity,
        SubOrchestration,
        Timer,
    }

    private sealed record OpenTask(TaskKind Kind, string Name, TaskCompletionSource<string?> Completion);
}
