using System.Text.Json.Serialization;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Engine.History;

/// <summary>One event of an orchestration's append-only history, or a message on its way to becoming one.</summary>
/// <remarks>Names follow the Durable Task Framework so histories read the same as Durable Functions'.</remarks>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "eventType")]
[JsonDerivedType(typeof(ExecutionStartedEvent), nameof(HistoryEventType.ExecutionStarted))]
[JsonDerivedType(typeof(OrchestratorStartedEvent), nameof(HistoryEventType.OrchestratorStarted))]
[JsonDerivedType(typeof(TaskScheduledEvent), nameof(HistoryEventType.TaskScheduled))]
[JsonDerivedType(typeof(TaskCompletedEvent), nameof(HistoryEventType.TaskCompleted))]
[JsonDerivedType(typeof(TaskFailedEvent), nameof(HistoryEventType.TaskFailed))]
[JsonDerivedType(typeof(SubOrchestrationInstanceCreatedEvent), nameof(HistoryEventType.SubOrchestrationInstanceCreated))]
[JsonDerivedType(typeof(SubOrchestrationInstanceCompletedEvent), nameof(HistoryEventType.SubOrchestrationInstanceCompleted))]
[JsonDerivedType(typeof(SubOrchestrationInstanceFailedEvent), nameof(HistoryEventType.SubOrchestrationInstanceFailed))]
[JsonDerivedType(typeof(TimerCreatedEvent), nameof(HistoryEventType.TimerCreated))]
[JsonDerivedType(typeof(TimerFiredEvent), nameof(HistoryEventType.TimerFired))]
[JsonDerivedType(typeof(EventRaisedEvent), nameof(HistoryEventType.EventRaised))]
[JsonDerivedType(typeof(EventSentEvent), nameof(HistoryEventType.EventSent))]
[JsonDerivedType(typeof(ExecutionSuspendedEvent), nameof(HistoryEventType.ExecutionSuspended))]
[JsonDerivedType(typeof(ExecutionResumedEvent), nameof(HistoryEventType.ExecutionResumed))]
[JsonDerivedType(typeof(ExecutionTerminatedEvent), nameof(HistoryEventType.ExecutionTerminated))]
[JsonDerivedType(typeof(ExecutionCompletedEvent), nameof(HistoryEventType.ExecutionCompleted))]
internal abstract record HistoryEvent
{
    /// <summary>Gets when the event was recorded (UTC).</summary>
    public DateTime Timestamp { get; init; }

    /// <summary>Gets the event's type.</summary>
    [JsonIgnore]
    public abstract HistoryEventType EventType { get; }
}

/// <summary>The kinds of history event.</summary>
internal enum HistoryEventType
{
    /// <summary>The instance was started with its input.</summary>
    ExecutionStarted,

    /// <summary>A turn of the orchestrator began; its timestamp is the turn's deterministic current time.</summary>
    OrchestratorStarted,

    /// <summary>The orchestrator scheduled an activity.</summary>
    TaskScheduled,

    /// <summary>An activity returned.</summary>
    TaskCompleted,

    /// <summary>An activity threw.</summary>
    TaskFailed,

    /// <summary>The orchestrator started a sub-orchestration.</summary>
    SubOrchestrationInstanceCreated,

    /// <summary>A sub-orchestration completed.</summary>
    SubOrchestrationInstanceCompleted,

    /// <summary>A sub-orchestration failed or was terminated.</summary>
    SubOrchestrationInstanceFailed,

    /// <summary>The orchestrator created a durable timer.</summary>
    TimerCreated,

    /// <summary>A durable timer fired.</summary>
    TimerFired,

    /// <summary>An external event arrived.</summary>
    EventRaised,

    /// <summary>The orchestrator sent an event to another instance.</summary>
    EventSent,

    /// <summary>The instance was suspended.</summary>
    ExecutionSuspended,

    /// <summary>The instance was resumed.</summary>
    ExecutionResumed,

    /// <summary>The instance was terminated.</summary>
    ExecutionTerminated,

    /// <summary>The orchestrator returned or threw.</summary>
    ExecutionCompleted,
}

/// <summary>Identifies the parent of a sub-orchestration and the task that waits for it.</summary>
/// <param name="Name">The parent's orchestrator name.</param>
/// <param name="InstanceId">The parent's instance id.</param>
/// <param name="TaskId">The parent's task id for this child.</param>
/// <param name="ExecutionId">The parent's execution, so a result reaches only the run that asked for it.</param>
internal sealed record ParentInstanceInfo(string Name, string InstanceId, int TaskId, string? ExecutionId = null);

/// <summary>The instance was started.</summary>
internal sealed record ExecutionStartedEvent(string Name, string? Input, string ExecutionId, ParentInstanceInfo? Parent, string? Version = null) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.ExecutionStarted;
}

/// <summary>A turn began.</summary>
internal sealed record OrchestratorStartedEvent : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.OrchestratorStarted;
}

/// <summary>An activity was scheduled.</summary>
internal sealed record TaskScheduledEvent(int TaskId, string Name, string? Input) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.TaskScheduled;
}

/// <summary>An activity returned.</summary>
internal sealed record TaskCompletedEvent(int TaskScheduledId, string? Result) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.TaskCompleted;
}

/// <summary>An activity threw.</summary>
internal sealed record TaskFailedEvent(int TaskScheduledId, TaskFailureDetails FailureDetails, bool IsNonRetriable = false) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.TaskFailed;
}

/// <summary>A sub-orchestration was started.</summary>
internal sealed record SubOrchestrationInstanceCreatedEvent(int TaskId, string Name, string InstanceId, string? Input) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.SubOrchestrationInstanceCreated;
}

/// <summary>A sub-orchestration completed.</summary>
internal sealed record SubOrchestrationInstanceCompletedEvent(int TaskScheduledId, string? Result) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.SubOrchestrationInstanceCompleted;
}

/// <summary>A sub-orchestration failed or was terminated.</summary>
internal sealed record SubOrchestrationInstanceFailedEvent(int TaskScheduledId, TaskFailureDetails FailureDetails) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.SubOrchestrationInstanceFailed;
}

/// <summary>A durable timer was created.</summary>
internal sealed record TimerCreatedEvent(int TaskId, DateTime FireAt) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.TimerCreated;
}

/// <summary>A durable timer fired.</summary>
internal sealed record TimerFiredEvent(int TimerId, DateTime FireAt) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.TimerFired;
}

/// <summary>An external event arrived.</summary>
internal sealed record EventRaisedEvent(string Name, string? Input) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.EventRaised;
}

/// <summary>The orchestrator sent an event to another instance.</summary>
internal sealed record EventSentEvent(int TaskId, string InstanceId, string Name, string? Input) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.EventSent;
}

/// <summary>The instance was suspended.</summary>
internal sealed record ExecutionSuspendedEvent(string? Reason) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.ExecutionSuspended;
}

/// <summary>The instance was resumed.</summary>
internal sealed record ExecutionResumedEvent(string? Reason) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.ExecutionResumed;
}

/// <summary>The instance was terminated.</summary>
internal sealed record ExecutionTerminatedEvent(string? Output) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.ExecutionTerminated;
}

/// <summary>The orchestrator finished.</summary>
internal sealed record ExecutionCompletedEvent(OrchestrationRuntimeStatus Status, string? Result, TaskFailureDetails? FailureDetails) : HistoryEvent
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override HistoryEventType EventType => HistoryEventType.ExecutionCompleted;
}
