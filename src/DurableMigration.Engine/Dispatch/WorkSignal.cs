namespace DurableMigration.Engine.Dispatch;

/// <summary>A pulse that wakes every waiter; take <see cref="Next"/> before checking for work so a pulse in between is not missed.</summary>
internal sealed class WorkSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets the task that completes at the next pulse.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>Wakes everyone waiting on the current <see cref="Next"/>.</summary>
    public void Pulse() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Waits for <paramref name="pulse"/> or <paramref name="timeout"/>, whichever comes first.</summary>
    public static async Task WaitAsync(Task pulse, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await pulse.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }
}

/// <summary>The in-process pulses that connect the client, the dispatchers and waiters.</summary>
internal sealed class EngineSignals
{
    /// <summary>Gets the pulse for new orchestration messages.</summary>
    public WorkSignal OrchestrationWork { get; } = new();

    /// <summary>Gets the pulse for new activity work items.</summary>
    public WorkSignal ActivityWork { get; } = new();

    /// <summary>Gets the pulse for instances reaching a new status.</summary>
    public WorkSignal InstanceStateChanged { get; } = new();
}
