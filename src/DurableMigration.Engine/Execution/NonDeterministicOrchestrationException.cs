namespace DurableMigration.Engine.Execution;

/// <summary>Thrown when replayed orchestrator code makes a call that does not match the recorded history.</summary>
/// <remarks>The usual cause is a code change deployed while instances were running; the instance fails rather than guess.</remarks>
public sealed class NonDeterministicOrchestrationException : InvalidOperationException
{
    /// <summary>Initializes the exception with a message naming the expected and the actual call.</summary>
    public NonDeterministicOrchestrationException(string message)
        : base(message)
    {
    }
}
