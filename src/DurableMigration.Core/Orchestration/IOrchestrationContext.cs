using Microsoft.Extensions.Logging;

namespace DurableMigration.Orchestration;

/// <summary>The orchestration-context port: the subset of Durable Functions' <c>TaskOrchestrationContext</c> our orchestrations use.</summary>
/// <remarks>
/// <para>
/// Members keep Durable Functions' names and semantics so that the Azure Functions adapter forwards each call
/// one-to-one and the embedded runtime can be held to the same behaviour by the same tests.
/// </para>
/// <para>
/// Every member must be called from the orchestrator's own thread: orchestrator code awaits only the tasks this
/// context returns (and <see cref="Task.WhenAll(Task[])"/>/<see cref="Task.WhenAny(Task[])"/> over them), never
/// <c>Task.Run</c>, <c>Task.Delay</c>, I/O or <c>ConfigureAwait(false)</c>.
/// </para>
/// </remarks>
public interface IOrchestrationContext
{
    /// <summary>Gets the id of this orchestration instance.</summary>
    string InstanceId { get; }

    /// <summary>Gets the name this orchestration was started under.</summary>
    string Name { get; }

    /// <summary>Gets the parent orchestration when this one runs as a sub-orchestration; otherwise <c>null</c>.</summary>
    ParentOrchestrationInstance? Parent { get; }

    /// <summary>Gets the deterministic current time: the time at which the current turn of the orchestration started.</summary>
    DateTime CurrentUtcDateTime { get; }

    /// <summary>Gets a value indicating whether the orchestrator is replaying history it already executed.</summary>
    bool IsReplaying { get; }

    /// <summary>Schedules an activity and returns its deserialized result.</summary>
    /// <exception cref="TaskFailedException">The activity failed (after any retries the options ask for).</exception>
    Task<TResult> CallActivityAsync<TResult>(string name, object? input = null, TaskOptions? options = null);

    /// <summary>Starts a sub-orchestration and returns its deserialized output.</summary>
    /// <remarks>Pass <see cref="SubOrchestrationOptions"/> to choose the child's instance id.</remarks>
    /// <exception cref="TaskFailedException">The sub-orchestration failed or was terminated.</exception>
    Task<TResult> CallSubOrchestratorAsync<TResult>(string orchestratorName, object? input = null, TaskOptions? options = null);

    /// <summary>Creates a durable timer that completes at <paramref name="fireAt"/> (UTC).</summary>
    /// <remarks>Cancelling <paramref name="cancellationToken"/> cancels the returned task; the stored timer then fires unobserved.</remarks>
    Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken);

    /// <summary>Waits for an external event named <paramref name="eventName"/> (case-insensitive) and returns its payload.</summary>
    /// <remarks>An event raised before the wait starts is buffered and delivered when the wait starts; each event completes one wait.</remarks>
    Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default);

    /// <summary>Sets the custom status published with the instance status (serialized as JSON), or clears it with <c>null</c>.</summary>
    void SetCustomStatus(object? customStatus);

    /// <summary>Creates a GUID that is the same on every replay of this orchestration.</summary>
    Guid NewGuid();

    /// <summary>Creates a logger that writes only when the orchestrator is not replaying.</summary>
    ILogger CreateReplaySafeLogger(string categoryName);

    /// <summary>Gets the orchestration input deserialized as <typeparamref name="T"/>.</summary>
    T? GetInput<T>();
}
