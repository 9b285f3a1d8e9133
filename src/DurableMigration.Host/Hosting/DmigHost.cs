using System.Text.Json;
using DurableMigration.Application;
using DurableMigration.Engine;
using DurableMigration.Engine.DependencyInjection;
using DurableMigration.Migration;
using DurableMigration.Providers;
using DurableMigration.Providers.Alerts;
using DurableMigration.Providers.Connections;
using DurableMigration.Providers.Sqlite;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Host.Hosting;

/// <summary>Everything one <c>dmig</c> process needs, rooted in a data directory: task hub, connection registry, logs.</summary>
/// <remarks>
/// Layout of the data directory: <c>taskhub.db</c> (orchestration state), <c>registry.db</c> (where consumers look up
/// each database), <c>logs/</c>, <c>demo/</c> for <c>dmig demo</c>, and <c>engine.lock</c> with <c>engine.json</c>, held
/// and written by the process that runs the engine there (<see cref="EngineLock"/>).
/// </remarks>
public sealed class DmigHost : IAsyncDisposable
{
    /// <summary>The task hub's file name in the data directory.</summary>
    public const string TaskHubFileName = "taskhub.db";

    /// <summary>The JSON options of <see cref="DataConverter"/>, for command output in the same shape.</summary>
    public static readonly JsonSerializerOptions JsonOptions = WaveJson.Options;

    /// <summary>dmig's converter of inputs, outputs, events and custom status: <see cref="WaveJson.DataConverter"/>.</summary>
    public static readonly JsonDataConverter DataConverter = WaveJson.DataConverter;

    private readonly ServiceProvider _services;
    private readonly SemaphoreSlim _starting = new(1, 1);
    private EngineLock? _lock;
    private bool _engineStarted;

    private DmigHost(ServiceProvider services, string dataDirectory)
    {
        _services = services;
        DataDirectory = dataDirectory;
        Client = services.GetRequiredService<DurableTaskClient>();
        Engine = services.GetRequiredService<DurableEngine>();
    }

    /// <summary>Gets the data directory's full path.</summary>
    public string DataDirectory { get; }

    /// <summary>Gets the orchestration client.</summary>
    public DurableTaskClient Client { get; }

    /// <summary>Gets the embedded runtime (started on demand).</summary>
    public DurableEngine Engine { get; }

    /// <summary>Gets the service provider (providers, registry, resolver).</summary>
    public IServiceProvider Services => _services;

    /// <summary>Builds the host over <paramref name="dataDirectory"/>; <paramref name="configure"/> may replace services (tests, alternative providers).</summary>
    public static DmigHost Create(string dataDirectory, Action<IServiceCollection>? configure = null, Action<DurableEngineOptions>? engine = null)
    {
        string root = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(root);
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(new FileLoggerProvider(Path.Combine(root, "logs"))).SetMinimumLevel(LogLevel.Information));
        services.AddDurableEngine(
            o =>
            {
                o.TaskHubPath = Path.Combine(root, TaskHubFileName);
                o.MaxPollingInterval = TimeSpan.FromMilliseconds(250);
                o.DataConverter = DataConverter;
                engine?.Invoke(o);
            },
            r => r.AddMigration());
        services.AddSingleton<IDatabaseProvider, SqliteDatabaseProvider>();
        services.AddSingleton<IDatabaseProviderCatalog, DatabaseProviderCatalog>();
        services.AddSingleton<IConnectionResolver, ConnectionResolver>();
        services.AddSingleton<IConnectionRegistry>(sp => new LocalConnectionRegistry(Path.Combine(root, "registry.db")));
        services.AddSingleton<IMigrationProgressStore, InMemoryMigrationProgressStore>();
        services.AddSingleton(_ => new HttpClient { Timeout = TimeSpan.FromSeconds(10) });
        services.AddSingleton<IAlertSink, LogAlertSink>();
        services.AddSingleton(new TargetBackupDirectory(Path.Combine(root, "backups")));
        services.AddSingleton<IWorkerShutdown>(sp => new EngineWorkerShutdown(sp.GetRequiredService<DurableEngine>()));
        services.AddSingleton<IDetachedRunLauncher>(_ => ProcessRunLauncher.ForCurrentProcess());
        configure?.Invoke(services);
        return new DmigHost(services.BuildServiceProvider(), root);
    }

    /// <summary>Gets a value indicating whether this process runs the engine (it holds the data directory's engine lock).</summary>
    public bool EngineStarted => _engineStarted;

    /// <summary>Starts the embedded runtime in this process (once); throws when another live process runs it on this data directory.</summary>
    public async Task StartEngineAsync(CancellationToken cancellationToken = default)
    {
        if (await TryStartEngineAsync("dmig", cancellationToken).ConfigureAwait(false) is { } holder)
        {
            throw new InvalidOperationException($"The engine on {DataDirectory} is run by {holder.Description}.");
        }
    }

    /// <summary>
    /// Starts the embedded runtime in this process (once) under the data directory's engine lock, recording
    /// <paramref name="command"/>; returns <c>null</c> when it runs here, or the live process that already runs it.
    /// </summary>
    internal async Task<EngineRunner?> TryStartEngineAsync(string command, CancellationToken cancellationToken = default)
    {
        await _starting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_engineStarted)
            {
                return null;
            }

            // One engine per data directory: a second would run every in-flight instance beside the first.
            var (engineLock, holder) = await EngineLock.TryAcquireAsync(DataDirectory, command, cancellationToken).ConfigureAwait(false);
            if (engineLock is null)
            {
                return holder;
            }

            try
            {
                await Engine.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                engineLock.Dispose();
                throw;
            }

            _lock = engineLock;
            _engineStarted = true;
            return null;
        }
        finally
        {
            _starting.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_engineStarted)
        {
            await Engine.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        // After the engine stopped: the lock says a live process runs the waves.
        _lock?.Dispose();
        _starting.Dispose();
        await _services.DisposeAsync().ConfigureAwait(false);
    }
}
