namespace DurableMigration.Orchestration;

/// <summary>What an activity knows about the call that runs it.</summary>
/// <param name="Name">The activity name.</param>
/// <param name="InstanceId">The orchestration instance that scheduled it.</param>
/// <param name="TaskId">The task's sequence id within that orchestration.</param>
/// <param name="Attempt">How many times this scheduled task has been handed to a worker, starting at 1; above 1 after a crash or a lost lease.</param>
public sealed record ActivityContext(string Name, string InstanceId, int TaskId, int Attempt);

/// <summary>An activity the runtime can run without knowing its input and output types.</summary>
public interface IActivity
{
    /// <summary>Gets the type the activity input is deserialized to.</summary>
    Type InputType { get; }

    /// <summary>Runs the activity with its deserialized input and returns its output.</summary>
    Task<object?> RunAsync(ActivityContext context, object? input, CancellationToken cancellationToken);
}

/// <summary>Base class of activities: thin adapters that do one job of I/O through injected ports.</summary>
/// <typeparam name="TInput">The activity input.</typeparam>
/// <typeparam name="TOutput">The activity output.</typeparam>
/// <remarks>Activities run at least once: a crash after the work but before its result is recorded runs it again, so make them idempotent.</remarks>
public abstract class Activity<TInput, TOutput> : IActivity
{
    /// <inheritdoc/>
    public Type InputType => typeof(TInput);

    /// <summary>Runs the activity.</summary>
    public abstract Task<TOutput> RunAsync(ActivityContext context, TInput input, CancellationToken cancellationToken);

    /// <inheritdoc/>
    async Task<object?> IActivity.RunAsync(ActivityContext context, object? input, CancellationToken cancellationToken) =>
        await RunAsync(context, (TInput)input!, cancellationToken).ConfigureAwait(false);
}
