namespace DurableMigration.Engine.Execution;

/// <summary>Runs orchestrator continuations on the thread that drives the turn, so a turn ends only when the orchestrator waits.</summary>
/// <remarks>
/// A continuation posted from any other thread belongs to a task the runtime did not create (<c>Task.Delay</c>, I/O):
/// it is not run, and the post is remembered so the turn fails the orchestration. Dropping it on every path, cached
/// or replayed, is what makes the outcome the same whichever path a turn takes.
/// </remarks>
internal sealed class OrchestrationSynchronizationContext : SynchronizationContext
{
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _work = new();
    private int _ownerThreadId = -1;
    private volatile bool _foreignPost;

    /// <summary>Gets a value indicating whether a continuation arrived from a thread that was not running the orchestrator.</summary>
    public bool ReceivedForeignPost => _foreignPost;

    /// <summary>Gets a value indicating whether the calling thread is the one running the orchestrator now.</summary>
    public bool IsOwnerThread => Environment.CurrentManagedThreadId == Volatile.Read(ref _ownerThreadId);

    public override void Post(SendOrPostCallback d, object? state)
    {
        if (!IsOwnerThread)
        {
            _foreignPost = true;
            return;
        }

        _work.Enqueue((d, state));
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (!IsOwnerThread)
        {
            _foreignPost = true;
            return;
        }

        d(state);
    }

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Runs <paramref name="action"/> as the orchestrator thread, then the continuations it queues until none is left.</summary>
    public void Run(Action action)
    {
        var previous = Current;
        SetSynchronizationContext(this);
        Volatile.Write(ref _ownerThreadId, Environment.CurrentManagedThreadId);
        try
        {
            action();
            while (_work.TryDequeue(out var item))
            {
                item.Callback(item.State);
            }
        }
        finally
        {
            Volatile.Write(ref _ownerThreadId, -1);
            SetSynchronizationContext(previous);
        }
    }
}
