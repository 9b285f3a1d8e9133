namespace DurableMigration.Providers;

/// <summary>Signals that the worker running activities is stopping, so long activities hand their work back.</summary>
/// <remarks>The Durable Task SDK passes activities no cancellation token; activities that do I/O take this port instead.</remarks>
public interface IWorkerShutdown
{
    /// <summary>Gets a token cancelled when the worker begins to stop.</summary>
    CancellationToken Token { get; }
}

/// <summary>A shutdown signal that never fires, for hosts that have none.</summary>
public sealed class NoWorkerShutdown : IWorkerShutdown
{
    /// <inheritdoc/>
    public CancellationToken Token => CancellationToken.None;
}
