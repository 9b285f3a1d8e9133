namespace DurableMigration.Client;

/// <summary>Thrown when starting an instance whose id is already Pending, Running or Suspended.</summary>
public sealed class OrchestrationAlreadyExistsException : InvalidOperationException
{
    /// <summary>Initializes the exception for <paramref name="instanceId"/> in <paramref name="status"/>.</summary>
    public OrchestrationAlreadyExistsException(string instanceId, OrchestrationRuntimeStatus status)
        : base($"An orchestration instance with id '{instanceId}' already exists and is {status}; wait for it to finish, terminate it, or choose another id.")
    {
        InstanceId = instanceId;
        Status = status;
    }

    /// <summary>Gets the conflicting instance id.</summary>
    public string InstanceId { get; }

    /// <summary>Gets the status of the existing instance.</summary>
    public OrchestrationRuntimeStatus Status { get; }
}

/// <summary>Thrown when an operation names an instance that does not exist.</summary>
public sealed class OrchestrationNotFoundException : InvalidOperationException
{
    /// <summary>Initializes the exception for <paramref name="instanceId"/>.</summary>
    public OrchestrationNotFoundException(string instanceId)
        : base($"No orchestration instance with id '{instanceId}' exists.") => InstanceId = instanceId;

    /// <summary>Gets the instance id that was not found.</summary>
    public string InstanceId { get; }
}

/// <summary>Thrown when an operation needs a live instance but the instance already finished.</summary>
public sealed class OrchestrationNotRunningException : InvalidOperationException
{
    /// <summary>Initializes the exception for <paramref name="instanceId"/> in <paramref name="status"/>.</summary>
    public OrchestrationNotRunningException(string instanceId, OrchestrationRuntimeStatus status)
        : base($"Orchestration instance '{instanceId}' is {status}; it no longer accepts events or commands.")
    {
        InstanceId = instanceId;
        Status = status;
    }

    /// <summary>Gets the instance id.</summary>
    public string InstanceId { get; }

    /// <summary>Gets the instance's final status.</summary>
    public OrchestrationRuntimeStatus Status { get; }
}
