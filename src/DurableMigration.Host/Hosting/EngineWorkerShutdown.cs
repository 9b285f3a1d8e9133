using DurableMigration.Engine;
using DurableMigration.Providers;

namespace DurableMigration.Host.Hosting;

/// <summary>The activities' shutdown signal, bound to the embedded runtime: cancelled when the engine begins to stop.</summary>
/// <remarks>Reads the engine's token on every access: the engine creates a new one each time it starts.</remarks>
internal sealed class EngineWorkerShutdown(DurableEngine engine) : IWorkerShutdown
{
    /// <inheritdoc/>
    public CancellationToken Token => engine.StoppingToken;
}
