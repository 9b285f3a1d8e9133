namespace DurableMigration.Engine.Execution;

/// <summary>Something the orchestrator asked for in a turn, to be recorded and sent out when the turn commits.</summary>
internal abstract record OrchestratorAction(int TaskId)
{
    /// <summary>Describes the action for non-determinism messages.</summary>
    public abstract string Describe();
}

internal sealed record ScheduleTaskAction(int TaskId, string Name, string? Input) : OrchestratorAction(TaskId)
{
    public override string Describe() => $"activity '{Name}' (task #{TaskId})";
}

internal sealed record CreateTimerAction(int TaskId, DateTime FireAt) : OrchestratorAction(TaskId)
{
    public override string Describe() => $"timer (task #{TaskId})";
}

internal sealed record CreateSubOrchestrationAction(int TaskId, string Name, string InstanceId, string? Input, string? Version) : OrchestratorAction(TaskId)
{
    public override string Describe() => $"sub-orchestration '{Name}' (task #{TaskId})";
}

internal sealed record SendEventAction(int TaskId, string InstanceId, string Name, string? Input) : OrchestratorAction(TaskId)
{
    public override string Describe() => $"event '{Name}' sent to '{InstanceId}' (task #{TaskId})";
}

/// <summary>The orchestrator asked to start over with new input when it returns.</summary>
/// <param name="Input">The serialized input of the next execution.</param>
/// <param name="Version">The version of the next execution.</param>
/// <param name="CarriedEvents">External events received but not yet consumed, handed to the next execution (empty unless asked to preserve them).</param>
internal sealed record ContinueAsNewRequest(string? Input, string? Version, IReadOnlyList<(string Name, string? Input)> CarriedEvents);
