namespace DurableMigration.Orchestration;

/// <summary>Thrown into orchestrator code when an activity or sub-orchestration it awaited failed, as in Durable Functions.</summary>
public sealed class TaskFailedException : Exception
{
    /// <summary>Initializes the exception for task <paramref name="taskName"/> with sequence id <paramref name="taskId"/>.</summary>
    public TaskFailedException(string taskName, int taskId, TaskFailureDetails failureDetails)
        : base($"Task '{taskName}' (#{taskId}) failed with an unhandled exception: {failureDetails?.ErrorMessage}")
    {
        ArgumentNullException.ThrowIfNull(failureDetails);
        TaskName = taskName;
        TaskId = taskId;
        FailureDetails = failureDetails;
    }

    /// <summary>Gets the name of the failed activity or sub-orchestration.</summary>
    public string TaskName { get; }

    /// <summary>Gets the failed task's sequence id within the orchestration.</summary>
    public int TaskId { get; }

    /// <summary>Gets what the failed task reported.</summary>
    public TaskFailureDetails FailureDetails { get; }
}
