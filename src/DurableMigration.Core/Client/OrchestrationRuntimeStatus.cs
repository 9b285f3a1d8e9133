namespace DurableMigration.Client;

/// <summary>Runtime status of an orchestration instance, with Durable Functions' names.</summary>
public enum OrchestrationRuntimeStatus
{
    /// <summary>Scheduled but not yet started.</summary>
    Pending,

    /// <summary>Started and not yet finished.</summary>
    Running,

    /// <summary>Finished with an output.</summary>
    Completed,

    /// <summary>Finished with an unhandled failure.</summary>
    Failed,

    /// <summary>Stopped on request before finishing.</summary>
    Terminated,

    /// <summary>Paused on request; new events wait until it is resumed.</summary>
    Suspended,
}

/// <summary>Helpers over <see cref="OrchestrationRuntimeStatus"/>.</summary>
public static class OrchestrationRuntimeStatusExtensions
{
    /// <summary>Tells whether the status is final: Completed, Failed or Terminated.</summary>
    public static bool IsTerminal(this OrchestrationRuntimeStatus status) =>
        status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;
}
