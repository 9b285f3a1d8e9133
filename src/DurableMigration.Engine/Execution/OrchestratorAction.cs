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

internal sealed record CreateSubOrchestrationAction(int TaskId, string Name, string InstanceId, string? Input) : OrchestratorAction(TaskId)
{
    public override string Describe() => $"sub-orchestration '{Name}' (task #{TaskId})";
}
