namespace DurableMigration.Client;

/// <summary>The client port: start, inspect and steer orchestration instances, with Durable Functions' <c>DurableTaskClient</c> names.</summary>
/// <remarks>Implemented by the embedded runtime; the Azure Functions adapter forwards each call to <c>DurableTaskClient</c>.</remarks>
public interface IOrchestrationClient
{
    /// <summary>Schedules a new instance and returns its id.</summary>
    /// <exception cref="OrchestrationAlreadyExistsException">An instance with that id is Pending, Running or Suspended.</exception>
    Task<string> ScheduleNewOrchestrationInstanceAsync(string orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Gets an instance's state, or <c>null</c> if there is no such instance.</summary>
    Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellationToken = default);

    /// <summary>Gets an instance's recorded history, oldest first; empty if there is no such instance.</summary>
    Task<IReadOnlyList<OrchestrationHistoryEvent>> GetInstanceHistoryAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>Waits until the instance reaches a final status and returns its state.</summary>
    /// <exception cref="OrchestrationNotFoundException">There is no such instance.</exception>
    Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellationToken = default);

    /// <summary>Raises an external event; it is buffered until the orchestration waits for it.</summary>
    /// <exception cref="OrchestrationNotFoundException">There is no such instance.</exception>
    /// <exception cref="OrchestrationNotRunningException">The instance already reached a final status.</exception>
    Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellationToken = default);

    /// <summary>Terminates a running instance, recording <paramref name="output"/> as its output.</summary>
    /// <exception cref="OrchestrationNotFoundException">There is no such instance.</exception>
    /// <exception cref="OrchestrationNotRunningException">The instance already reached a final status.</exception>
    Task TerminateInstanceAsync(string instanceId, object? output = null, CancellationToken cancellationToken = default);

    /// <summary>Suspends a running instance: new events wait until it is resumed.</summary>
    /// <exception cref="OrchestrationNotFoundException">There is no such instance.</exception>
    /// <exception cref="OrchestrationNotRunningException">The instance already reached a final status.</exception>
    Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Resumes a suspended instance.</summary>
    /// <exception cref="OrchestrationNotFoundException">There is no such instance.</exception>
    /// <exception cref="OrchestrationNotRunningException">The instance already reached a final status.</exception>
    Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Removes a finished instance with its history; a running one is left alone (count 0).</summary>
    Task<PurgeResult> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>Removes every finished instance that matches <paramref name="filter"/>.</summary>
    Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, CancellationToken cancellationToken = default);

    /// <summary>Lists instances matching <paramref name="query"/>, one page at a time.</summary>
    Task<OrchestrationQueryPage> GetAllInstancesAsync(OrchestrationQuery query, CancellationToken cancellationToken = default);
}
