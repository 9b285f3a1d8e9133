using DurableMigration.Engine.Dispatch;
using DurableMigration.Engine.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Engine;

/// <summary>The embedded durable runtime: runs registered orchestrations and activities from a SQLite task hub until stopped.</summary>
/// <remarks>
/// Register it with <see cref="DependencyInjection.DurableEngineServiceCollectionExtensions.AddDurableEngine"/>; it is a
/// hosted service, or call <see cref="StartAsync"/> and <see cref="StopAsync"/> yourself. Stopping hands running
/// activities back to the task hub so the next start picks them up at once.
/// </remarks>
public sealed class DurableEngine : IHostedService, IAsyncDisposable
{
    private readonly EngineContext _engine;
    private readonly ILogger _logger;
    private CancellationTokenSource? _stopping;
    private Task? _running;

    internal DurableEngine(EngineContext engine)
    {
        _engine = engine;
        _logger = engine.LoggerFactory.CreateLogger("DurableMigration.Engine");
    }

    /// <summary>Gets this engine's worker id, as recorded in the locks it takes.</summary>
    public string WorkerId => _engine.WorkerId;

    /// <summary>Gets a token that is cancelled when the engine stops, for activities that should hand long work back (the SDK passes activities no token).</summary>
    public CancellationToken StoppingToken => _stopping?.Token ?? CancellationToken.None;

    /// <summary>Gets the full path of the task hub file.</summary>
    public string TaskHubPath => _engine.Store.FilePath;

    /// <summary>Opens the task hub, frees locks of dead local processes, and starts the workers.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_running is not null)
        {
            throw new InvalidOperationException("The durable engine is already running.");
        }

        if (_engine.Options.ReleaseLocksOfDeadProcesses)
        {
            var released = await _engine.Store.ReleaseLocksOfDeadWorkersAsync(WorkerIdentity.IsDeadProcessOnThisMachine, _engine.UtcNow, cancellationToken).ConfigureAwait(false);
            if (released.Count > 0)
            {
                Logs.ReleasedDeadWorkerLocks(_logger, released.Count, string.Join(", ", released));
            }
        }

        _stopping = new CancellationTokenSource();
        var orchestrations = new OrchestrationDispatcher(_engine);
        var activities = new ActivityDispatcher(_engine, orchestrations);
        CancellationToken token = _stopping.Token;
        _running = Task.WhenAll(
            Task.Run(() => orchestrations.RunAsync(token), CancellationToken.None),
            Task.Run(() => activities.RunAsync(token), CancellationToken.None));
        Logs.EngineStarted(_logger, TaskHubPath, WorkerId);
        _engine.Signals.OrchestrationWork.Pulse();
        _engine.Signals.ActivityWork.Pulse();
    }

    /// <summary>Stops taking work, cancels running activities (handing them back), and waits for the workers to finish.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_running is null || _stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
        _running = null;
        _stopping.Dispose();
        _stopping = null;
        Logs.EngineStopped(_logger, WorkerId);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}
