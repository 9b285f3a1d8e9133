using DurableMigration.Client;
using DurableMigration.Engine.History;
using DurableMigration.Orchestration;

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
    TaskFailureDetails? FailureDetails,
    string? Input,
    string? Output,
    string? CustomStatus)
{
    public OrchestrationMetadata ToMetadata() => new(Name, InstanceId, Status, CreatedTime, LastUpdatedTime)
    {
        SerializedInput = Input,
        SerializedOutput = Output,
        SerializedCustomStatus = CustomStatus,
        FailureDetails = FailureDetails,
        ParentInstanceId = ParentInstanceId,
    };
}

/// <summary>A message waiting for an orchestration turn.</summary>
internal sealed record QueuedMessage(long Id, string? ExecutionId, HistoryEvent Event);

/// <summary>A locked instance and the messages its next turn consumes.</summary>
internal sealed record OrchestrationWorkItem(InstanceRecord Instance, IReadOnlyList<QueuedMessage> Messages);

/// <summary>A message to queue for an instance, visible from <paramref name="VisibleAt"/>.</summary>
internal sealed record OutgoingMessage(string InstanceId, string? ExecutionId, DateTime VisibleAt, HistoryEvent Event);

/// <summary>An activity the turn schedules.</summary>
internal sealed record ActivitySpec(int TaskId, string Name, string? Input);

/// <summary>A sub-orchestration the turn starts.</summary>
internal sealed record ChildInstance(string InstanceId, string Name, string? Input, string ExecutionId, ParentInstanceInfo Parent);

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
    IReadOnlyList<OutgoingMessage> NewMessages);

/// <summary>A leased activity work item.</summary>
internal sealed record ActivityWorkItem(long Id, string InstanceId, string ExecutionId, int TaskId, string Name, string? Input, int DequeueCount);

/// <summary>An activity's outcome as the message for its orchestration.</summary>
internal sealed record ActivityResult(ActivityWorkItem WorkItem, HistoryEvent Event);
