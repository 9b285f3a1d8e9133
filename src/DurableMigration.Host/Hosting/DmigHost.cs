using System.Text.Json;
using System.Text.Json.Serialization;
using DurableMigration.Engine;
using DurableMigration.Engine.DependencyInjection;
using DurableMigration.Migration;
using DurableMigration.Providers;
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
/// each database), <c>logs/</c>, and <c>demo/</c> for <c>dmig demo</c>.
/// </remarks>
public sealed class DmigHost : IAsyncDisposable
{
    /// <summary>The task hub's file name in the data directory.</summary>
    public const string TaskHubFileName = "taskhub.db";

    /// <summary>The JSON options of <see cref="DataConverter"/>, for command output in the same shape (declared first: static fields initialize in order).</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// dmig's converter of inputs, outputs, events and custom status: camelCase, enums as strings, nulls left out, so
    /// <c>dmig status --json</c> shows the shape Durable Functions' isolated worker does (the SDK's default would write
    /// PascalCase and enums as numbers).
    /// </summary>
    public static readonly JsonDataConverter DataConverter = new(JsonOptions);

    private readonly ServiceProvider _services;
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

    /// <summary>Starts the embedded runtime in this process (once).</summary>
    public async Task StartEngineAsync(CancellationToken cancellationToken = default)
    {
        if (!_engineStarted)
        {
            await Engine.StartAsync(cancellationToken).ConfigureAwait(false);
            _engineStarted = true;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_engineStarted)
        {
            await Engine.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await _services.DisposeAsync().ConfigureAwait(false);
    }
}
