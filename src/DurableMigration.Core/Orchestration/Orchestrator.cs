namespace DurableMigration.Orchestration;

/// <summary>An orchestrator the runtime can run without knowing its input and output types.</summary>
public interface IOrchestrator
{
    /// <summary>Gets the type the orchestration input is deserialized to.</summary>
    Type InputType { get; }

    /// <summary>Runs the orchestration with its deserialized input and returns its output.</summary>
    Task<object?> RunAsync(IOrchestrationContext context, object? input);
}

/// <summary>Base class of orchestrators written in the Durable Functions programming model against <see cref="IOrchestrationContext"/>.</summary>
/// <typeparam name="TInput">The orchestration input.</typeparam>
/// <typeparam name="TOutput">The orchestration output.</typeparam>
/// <remarks>
/// <para>
/// Orchestrator code is replayed: after every awaited task completes, the runtime may run the method again from the
/// start, feeding it the recorded results, until it reaches the point where it stopped. It must therefore make the
/// same calls in the same order on every run. Concretely:
/// </para>
/// <list type="bullet">
/// <item>no <see cref="DateTime.UtcNow"/>, <see cref="Guid.NewGuid"/>, <see cref="Random"/> or environment reads: use
/// <see cref="IOrchestrationContext.CurrentUtcDateTime"/> and <see cref="IOrchestrationContext.NewGuid"/>;</item>
/// <item>no I/O, no services, no static mutable state: do that work in activities;</item>
/// <item>await only tasks returned by the context (and <c>Task.WhenAll</c>/<c>Task.WhenAny</c> over them); never
/// <c>Task.Run</c>, <c>Task.Delay</c> or <c>ConfigureAwait(false)</c>;</item>
/// <item>log through <see cref="IOrchestrationContext.CreateReplaySafeLogger"/> so replays do not log twice;</item>
/// <item>change the order or names of calls only with a new orchestration name: running instances replay the old
/// history and fail with a non-determinism error otherwise.</item>
/// </list>
/// <para>The same class runs unchanged on Azure Durable Functions (through the Functions adapter) and on the embedded runtime.</para>
/// </remarks>
public abstract class Orchestrator<TInput, TOutput> : IOrchestrator
{
    /// <inheritdoc/>
    public Type InputType => typeof(TInput);

    /// <summary>Runs the orchestration.</summary>
    public abstract Task<TOutput> RunAsync(IOrchestrationContext context, TInput input);

    /// <inheritdoc/>
    async Task<object?> IOrchestrator.RunAsync(IOrchestrationContext context, object? input)
    {
        // Orchestrator code: the continuation must stay on the orchestrator thread.
#pragma warning disable CA2007
        return await RunAsync(context, (TInput)input!);
#pragma warning restore CA2007
    }
}
