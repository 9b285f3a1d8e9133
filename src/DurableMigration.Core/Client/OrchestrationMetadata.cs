using DurableMigration.Orchestration;

namespace DurableMigration.Client;

/// <summary>The state of one orchestration instance, as Durable Functions' <c>OrchestrationMetadata</c>.</summary>
/// <param name="Name">Orchestrator name.</param>
/// <param name="InstanceId">Instance id.</param>
/// <param name="RuntimeStatus">Runtime status.</param>
/// <param name="CreatedAt">When the instance was scheduled (UTC).</param>
/// <param name="LastUpdatedAt">When the instance state last changed (UTC).</param>
public sealed record OrchestrationMetadata(
    string Name,
    string InstanceId,
    OrchestrationRuntimeStatus RuntimeStatus,
    DateTime CreatedAt,
    DateTime LastUpdatedAt)
{
    /// <summary>Gets the input as JSON; <c>null</c> unless inputs and outputs were asked for.</summary>
    public string? SerializedInput { get; init; }

    /// <summary>Gets the output as JSON (or the termination reason); <c>null</c> unless inputs and outputs were asked for.</summary>
    public string? SerializedOutput { get; init; }

    /// <summary>Gets the custom status as JSON; <c>null</c> unless inputs and outputs were asked for.</summary>
    public string? SerializedCustomStatus { get; init; }

    /// <summary>Gets the failure of a Failed instance.</summary>
    public TaskFailureDetails? FailureDetails { get; init; }

    /// <summary>Gets the parent's instance id when this is a sub-orchestration.</summary>
    public string? ParentInstanceId { get; init; }

    /// <summary>Gets a value indicating whether the instance is Running or Suspended.</summary>
    public bool IsRunning => RuntimeStatus is OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Suspended;

    /// <summary>Gets a value indicating whether the instance reached a final status.</summary>
    public bool IsCompleted => RuntimeStatus.IsTerminal();
}

/// <summary>One recorded event of an instance's history, as shown by status queries with history.</summary>
/// <param name="SequenceNumber">Position in the history, from 0.</param>
/// <param name="EventType">Durable Task event type, such as <c>TaskScheduled</c> or <c>TimerFired</c>.</param>
/// <param name="Timestamp">When the event was recorded (UTC).</param>
/// <param name="SerializedEvent">The whole event as JSON.</param>
public sealed record OrchestrationHistoryEvent(long SequenceNumber, string EventType, DateTime Timestamp, string SerializedEvent);
