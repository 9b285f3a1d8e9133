using DurableMigration.Engine.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Core = DurableTask.Core;

namespace DurableMigration.Engine.Client;

/// <summary>Maps the task hub's history records to the Durable Task Framework's history types, which <see cref="DurableTaskClient"/> returns.</summary>
internal static class HistoryMapping
{
    public static Core.History.HistoryEvent ToCore(HistoryEvent recorded, int eventId)
    {
        Core.History.HistoryEvent mapped = recorded switch
        {
            ExecutionStartedEvent e => new Core.History.ExecutionStartedEvent(eventId, e.Input)
            {
                Name = e.Name,
                Version = e.Version,
                OrchestrationInstance = new Core.OrchestrationInstance { ExecutionId = e.ExecutionId },
                ParentInstance = e.Parent is { } p
                    ? new Core.ParentInstance { Name = p.Name, TaskScheduleId = p.TaskId, OrchestrationInstance = new Core.OrchestrationInstance { InstanceId = p.InstanceId, ExecutionId = p.ExecutionId } }
                    : null,
            },
            OrchestratorStartedEvent => new Core.History.OrchestratorStartedEvent(eventId),
            TaskScheduledEvent e => new Core.History.TaskScheduledEvent(e.TaskId, e.Name, null, e.Input),
            TaskCompletedEvent e => new Core.History.TaskCompletedEvent(eventId, e.TaskScheduledId, e.Result),
            TaskFailedEvent e => new Core.History.TaskFailedEvent(eventId, e.TaskScheduledId, e.FailureDetails.ErrorMessage, null, ToCore(e.FailureDetails, e.IsNonRetriable)),
            SubOrchestrationInstanceCreatedEvent e => new Core.History.SubOrchestrationInstanceCreatedEvent(e.TaskId) { Name = e.Name, InstanceId = e.InstanceId, Input = e.Input },
            SubOrchestrationInstanceCompletedEvent e => new Core.History.SubOrchestrationInstanceCompletedEvent(eventId, e.TaskScheduledId, e.Result),
            SubOrchestrationInstanceFailedEvent e => new Core.History.SubOrchestrationInstanceFailedEvent(eventId, e.TaskScheduledId, e.FailureDetails.ErrorMessage, null, ToCore(e.FailureDetails, false)),
            TimerCreatedEvent e => new Core.History.TimerCreatedEvent(e.TaskId, e.FireAt),
            TimerFiredEvent e => new Core.History.TimerFiredEvent(eventId, e.FireAt) { TimerId = e.TimerId },
            EventRaisedEvent e => new Core.History.EventRaisedEvent(eventId, e.Input) { Name = e.Name },
            EventSentEvent e => new Core.History.EventSentEvent(e.TaskId) { InstanceId = e.InstanceId, Name = e.Name, Input = e.Input },
            ExecutionSuspendedEvent e => new Core.History.ExecutionSuspendedEvent(eventId, e.Reason),
            ExecutionResumedEvent e => new Core.History.ExecutionResumedEvent(eventId, e.Reason),
            ExecutionTerminatedEvent e => new Core.History.ExecutionTerminatedEvent(eventId, e.Output),
            ExecutionCompletedEvent e => new Core.History.ExecutionCompletedEvent(eventId, e.Result, ToCore(e.Status), e.FailureDetails is { } f ? ToCore(f, false) : null),
            _ => throw new InvalidOperationException($"History event {recorded.EventType} has no Durable Task Framework equivalent."),
        };
        mapped.Timestamp = recorded.Timestamp;
        return mapped;
    }

    private static Core.FailureDetails ToCore(TaskFailureDetails details, bool isNonRetriable) =>
        new(details.ErrorType, details.ErrorMessage, details.StackTrace, details.InnerFailure is { } inner ? ToCore(inner, false) : null, isNonRetriable);

    private static Core.OrchestrationStatus ToCore(OrchestrationRuntimeStatus status) => status switch
    {
        OrchestrationRuntimeStatus.Completed => Core.OrchestrationStatus.Completed,
        OrchestrationRuntimeStatus.Failed => Core.OrchestrationStatus.Failed,
        OrchestrationRuntimeStatus.Terminated => Core.OrchestrationStatus.Terminated,
        RuntimeStatusExtensions.ContinuedAsNew => Core.OrchestrationStatus.ContinuedAsNew,
        OrchestrationRuntimeStatus.Suspended => Core.OrchestrationStatus.Suspended,
        OrchestrationRuntimeStatus.Pending => Core.OrchestrationStatus.Pending,
        _ => Core.OrchestrationStatus.Running,
    };
}
