using DurableMigration.Engine.Execution;
using DurableMigration.Engine.History;
using DurableMigration.Engine.Serialization;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Engine.Storage;

/// <summary>An instance row as the store holds it.</summary>
internal sealed record InstanceRecord(
    string InstanceId,
    string ExecutionId,
    string Name,
    OrchestrationRuntimeStatus Status,
    DateTime CreatedTime,
    DateTime LastUpdatedTime,
    long HistoryCount,
    string? ParentInstanceId,
    int? ParentTaskId,
    string? ParentExecutionId,
    TaskFailureDetails? FailureDetails,
    string? Input,
    string? Output,
    string? CustomStatus)
{
    /// <summary>Describes the instance as the Durable Task client does; payloads only if they were read.</summary>
    public OrchestrationMetadata ToMetadata(DataConverter converter) => new(Name, InstanceId)
    {
        DataConverter = converter,
        RuntimeStatus = Status,
        CreatedAt = new DateTimeOffset(CreatedTime, TimeSpan.Zero),
        LastUpdatedAt = new DateTimeOffset(LastUpdatedTime, TimeSpan.Zero),
        SerializedInput = Input,
        SerializedOutput = Output,
        SerializedCustomStatus = CustomStatus,
        FailureDetails = FailureDetails,
    };
}

/// <summary>A message waiting for an orchestration turn; <see cref="Id"/> 0: not stored (an activity result handed over by its worker).</summary>
internal sealed record QueuedMessage(long Id, string? ExecutionId, HistoryEvent Event);

/// <summary>A locked instance and the messages its next turn consumes.</summary>
internal sealed record OrchestrationWorkItem(InstanceRecord Instance, IReadOnlyList<QueuedMessage> Messages);

/// <summary>A message to queue for an instance, visible from <paramref name="VisibleAt"/>.</summary>
/// <param name="InstanceId">The instance the message is for.</param>
/// <param name="ExecutionId">The execution it belongs to; <c>null</c> for events and commands that go to the current one.</param>
/// <param name="VisibleAt">When it may be consumed (a timer's fire time).</param>
/// <param name="Event">The message.</param>
/// <param name="OnlyIfInstanceExists">Drop it when there is no such instance (events sent by orchestrations), rather than keep an orphan.</param>
/// <param name="NeverEarly">Round <paramref name="VisibleAt"/> up to the store's whole milliseconds (a timer, a scheduled start), so it never shows before its time.</param>
internal sealed record OutgoingMessage(string InstanceId, string? ExecutionId, DateTime VisibleAt, HistoryEvent Event, bool OnlyIfInstanceExists = false, bool NeverEarly = false)
{
    /// <summary>Gets the message as stored, serialized when the message is made: before the store's write transaction, not inside it.</summary>
    public string Payload { get; } = HistorySerializer.Serialize(Event);
}

/// <summary>An activity the turn schedules.</summary>
internal sealed record ActivitySpec(int TaskId, string Name, string? Input);

/// <summary>A sub-orchestration the turn starts.</summary>
internal sealed record ChildInstance(string InstanceId, string Name, string? Input, string? Version, string ExecutionId, ParentInstanceInfo Parent);

/// <summary>The execution that replaces the current one when the orchestration continued as new.</summary>
internal sealed record NextExecution(string ExecutionId, ContinueAsNewRequest Request);

/// <summary>The instance state after a turn; the custom status is written only when <paramref name="CustomStatusChanged"/>.</summary>
internal sealed record InstanceUpdate(OrchestrationRuntimeStatus Status, string? Output, string? CustomStatus, bool CustomStatusChanged, TaskFailureDetails? FailureDetails);

/// <summary>Everything one orchestration turn writes, committed in one transaction.</summary>
internal sealed record TurnCommit(
    string InstanceId,
    string ExecutionId,
    string WorkerId,
    DateTime Now,
    long HistoryStart,
    IReadOnlyList<HistoryEvent> NewHistory,
    IReadOnlyList<long> ConsumedMessageIds,
    InstanceUpdate Update,
    IReadOnlyList<ActivitySpec> NewActivities,
    IReadOnlyList<ChildInstance> NewChildren,
    IReadOnlyList<OutgoingMessage> NewMessages)
{
    /// <summary>Gets the execution that starts over in place of this one, when the orchestration continued as new.</summary>
    public NextExecution? NextExecution { get; init; }

    /// <summary>Gets the lease under which the first <see cref="ActivityLease.Count"/> new activities are stored, already leased to the committing worker.</summary>
    public ActivityLease? LeaseActivities { get; init; }

    /// <summary>
    /// Gets the work item of an activity whose result the turn took straight from its worker, not from the queue: the
    /// commit records the result by deleting the item (still leased to the worker), and needs no lease on the instance,
    /// only that nobody holds it and its history is still <see cref="HistoryStart"/> long.
    /// </summary>
    public long? CompletedActivityId { get; init; }
}

/// <summary>What a committed turn left behind for its worker.</summary>
/// <param name="LeasedActivities">The activity work items the commit leased to its worker (<see cref="TurnCommit.LeaseActivities"/>), in order.</param>
/// <param name="MoreMessages">Whether messages for the instance are visible already (they arrived during the turn, or did not fit in it).</param>
internal sealed record CommittedTurn(IReadOnlyList<ActivityWorkItem> LeasedActivities, bool MoreMessages);

/// <summary>New activities a turn leases to its own worker as it stores them (see <c>ActivityHandoff</c>).</summary>
/// <param name="Until">The lease's expiry.</param>
/// <param name="Count">How many of the turn's activities, from the first.</param>
internal sealed record ActivityLease(DateTime Until, int Count);

/// <summary>A leased activity work item.</summary>
internal sealed record ActivityWorkItem(long Id, string InstanceId, string ExecutionId, int TaskId, string Name, string? Input, int DequeueCount)
{
    /// <summary>Gets a value indicating whether its orchestration waits for no other activity, so the worker that runs it runs the next turn itself (see <c>ActivityDispatcher</c>).</summary>
    public bool RunsNextTurn { get; init; }
}

/// <summary>An activity's outcome as the message for its orchestration.</summary>
internal sealed record ActivityResult(ActivityWorkItem WorkItem, HistoryEvent Event);
