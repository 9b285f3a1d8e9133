using System.Text.Json;
using DurableMigration.Application;
using DurableMigration.AzureStorage;
using DurableMigration.Backends.AzureStorage;
using DurableMigration.Backends.AzureStorage.DependencyInjection;
using DurableMigration.Backends.AzureStorage.Worker;
using DurableMigration.Engine;
using DurableMigration.Engine.DependencyInjection;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using DurableMigration.Migration;
using DurableMigration.Monitoring;
using DurableMigration.Providers;
using DurableMigration.Providers.Alerts;
using DurableMigration.Providers.Connections;
using DurableMigration.Providers.DependencyInjection;
using DurableMigration.Providers.Postgres;
using DurableMigration.Providers.Sqlite;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DurableMigration.Host.Hosting;

/// <summary>Everything one <c>dmig</c> process needs, rooted in a data directory: task hub, connection registry, logs.</summary>
/// <remarks>
/// <para>Layout of the data directory: <c>taskhub.db</c> (orchestration state), <c>registry.db</c> (where consumers look up
/// each database), <c>logs/</c>, <c>records.jsonl</c> (the migration records of the waves run here, one JSON line each),
/// <c>demo/</c> for <c>dmig demo</c>, and <c>engine.lock</c> with <c>engine.json</c>, held and written by the process that
/// runs the engine there (<see cref="EngineLock"/>).</para>
/// <para>Migration records also go to Azure Monitor, and OpenTelemetry traces and metrics to OTLP or Application Insights,
/// when the environment says so (<see cref="MonitoringSettings"/>); disposing the host flushes them.</para>
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
    private readonly DurableEngine? _engine;
    private EngineLock? _lock;
    private bool _engineStarted;
    private bool _workerStarted;

    private DmigHost(ServiceProvider services, string dataDirectory, string? taskHub = null)
    {
        _services = services;
        DataDirectory = dataDirectory;
        Client = services.GetRequiredService<DurableTaskClient>();
        _engine = services.GetService<DurableEngine>();
        RemoteTaskHub = taskHub;
        // No generic host starts the OpenTelemetry providers here: resolving them subscribes them to the source and meter.
        _ = services.GetService<TracerProvider>();
        _ = services.GetService<MeterProvider>();
    }

    /// <summary>Gets the remote task hub's name when the waves run on the Azure Storage backend; <c>null</c> on the embedded runtime.</summary>
    public string? RemoteTaskHub { get; }

    /// <summary>Gets a value indicating whether waves run on a remote task hub (moved on by <c>dmig worker</c> processes, not by this one).</summary>
    public bool IsRemote => RemoteTaskHub is not null;

    /// <summary>Gets the data directory's full path.</summary>
    public string DataDirectory { get; }

    /// <summary>Gets the orchestration client.</summary>
    public DurableTaskClient Client { get; }

    /// <summary>Gets the embedded runtime (started on demand).</summary>
    /// <exception cref="InvalidOperationException">The waves run on a remote task hub.</exception>
    public DurableEngine Engine => _engine ?? throw new InvalidOperationException($"Waves run on the remote task hub {RemoteTaskHub}; there is no embedded runtime in this process.");

    /// <summary>Gets the service provider (providers, registry, resolver).</summary>
    public IServiceProvider Services => _services;

    /// <summary>Builds the host over <paramref name="dataDirectory"/>; <paramref name="configure"/> may replace services (tests, alternative providers).</summary>
    public static DmigHost Create(string dataDirectory, Action<IServiceCollection>? configure = null, Action<DurableEngineOptions>? engine = null)
    {
        string root = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(root);
        var services = new ServiceCollection();
        services.AddLogging(b => b
            .AddProvider(new FileLoggerProvider(Path.Combine(root, "logs")))
            .SetMinimumLevel(LogLevel.Information)
            // Records have their own file (records.jsonl); the log keeps the engine's and the providers' lines.
            .AddFilter<FileLoggerProvider>(MigrationRecorder.Category, LogLevel.None));
        bool rehearse = AzureRehearsal.IsOn(Environment.GetEnvironmentVariable);
        AddMonitoring(services, root, rehearse);
        services.AddDurableEngine(
            o =>
            {
                o.TaskHubPath = Path.Combine(root, TaskHubFileName);
                o.MaxPollingInterval = TimeSpan.FromMilliseconds(250);
                o.DataConverter = DataConverter;
                engine?.Invoke(o);
            },
            r => r.AddMigration());
        AddProviders(services, root, rehearse);
        services.AddSingleton<IMigrationProgressStore, InMemoryMigrationProgressStore>();
        services.AddSingleton<IWorkerShutdown>(sp => new EngineWorkerShutdown(sp.GetRequiredService<DurableEngine>()));
        configure?.Invoke(services);
        return new DmigHost(services.BuildServiceProvider(), root);
    }

    /// <summary>
    /// Builds the host over a task hub on Azure Storage: the client always; with <paramref name="worker"/> also a worker
    /// of the hub (<c>dmig worker</c>), registered through the same <c>AddMigration()</c>. Copy progress goes to the
    /// account's table, so the monitor reads it whichever worker runs the copy, and so does the connection registry
    /// (table <c>&lt;hub&gt;Registry</c>), so a switch of consumers made by one worker is what every other reads. The
    /// data directory keeps the logs.
    /// </summary>
    public static DmigHost CreateForAzureStorage(string dataDirectory, AzureStorageBackendOptions backend, Action<IServiceCollection>? configure = null, bool worker = false)
    {
        ArgumentNullException.ThrowIfNull(backend);
        string root = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(root);
        var services = new ServiceCollection();
        services.AddLogging(b => b
            .AddProvider(new FileLoggerProvider(Path.Combine(root, "logs")))
            .SetMinimumLevel(LogLevel.Information)
            // The framework's own lines (every queue poll and lease) would drown the log; its warnings and errors stay.
            .AddFilter("DurableTask", LogLevel.Warning)
            .AddFilter("Azure", LogLevel.Warning)
            .AddFilter<FileLoggerProvider>(MigrationRecorder.Category, LogLevel.None));
        bool rehearse = AzureRehearsal.IsOn(Environment.GetEnvironmentVariable);
        AddMonitoring(services, root, rehearse);
        services.AddAzureStorageBackend(o =>
        {
            o.Account = backend.Account;
            o.TaskHubName = backend.TaskHubName;
            o.DataConverter = DataConverter;
            o.PartitionCount = backend.PartitionCount;
            o.MaxQueuePollingInterval = backend.MaxQueuePollingInterval;
            o.MaxConcurrentActivities = backend.MaxConcurrentActivities;
            o.MaxConcurrentOrchestrations = backend.MaxConcurrentOrchestrations;
            o.MessageVisibilityTimeout = backend.MessageVisibilityTimeout;
            o.LeaseInterval = backend.LeaseInterval;
            o.WorkerId = backend.WorkerId;
        }, worker ? r => r.AddMigration() : null);
        AddProviders(services, root, rehearse);
        var account = backend.Account ?? throw new ArgumentException("The Azure Storage backend needs a storage account.", nameof(backend));
        services.AddSingleton<IMigrationProgressStore>(sp => new TableMigrationProgressStore(
            account.CreateTableServiceClient(),
            new TableMigrationProgressStoreOptions { TableName = backend.TaskHubName + "Progress" },
            sp.GetService<ILogger<TableMigrationProgressStore>>()));
        // Replaces the local registry.db: workers on several machines must agree on where consumers point.
        services.AddSingleton<IConnectionRegistry>(_ => new TableConnectionRegistry(account.CreateTableServiceClient(), backend.TaskHubName + "Registry"));
        services.AddSingleton<IWorkerShutdown>(sp => sp.GetService<AzureStorageTaskHubWorker>() is { } w ? new TaskHubWorkerShutdown(w) : new NoWorkerShutdown());
        configure?.Invoke(services);
        return new DmigHost(services.BuildServiceProvider(), root, backend.TaskHubName);
    }

    /// <summary>Starts the worker of the remote task hub in this process (<c>dmig worker</c>): it takes orchestrations and activities until the host is disposed.</summary>
    public async Task StartWorkerAsync(CancellationToken cancellationToken = default)
    {
        var worker = _services.GetService<AzureStorageTaskHubWorker>() ?? throw new InvalidOperationException("This host was built without a worker.");
        await StartRehearsalAsync(cancellationToken).ConfigureAwait(false);
        await worker.StartAsync(cancellationToken).ConfigureAwait(false);
        _workerStarted = true;
    }

    /// <summary>Starts the Azure rehearsal's emulators (<see cref="AzureRehearsal"/>) before anything can call them; nothing without the switch.</summary>
    private Task StartRehearsalAsync(CancellationToken cancellationToken) =>
        _services.GetService<AzureRehearsal>()?.StartAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>
    /// Migration records to <c>records.jsonl</c> in the data directory, and to Azure Monitor when configured; OpenTelemetry
    /// traces (the activities' spans) and metrics (from the records) when an exporter is configured.
    /// </summary>
    private static void AddMonitoring(ServiceCollection services, string root, bool rehearse)
    {
        var settings = MonitoringSettings.From(Environment.GetEnvironmentVariable);
        services.AddMigrationRecordSink(sp => new RecordFileSink(Path.Combine(root, RecordFileSink.FileName), sp.GetService<ILogger<RecordFileSink>>()));
        if (rehearse)
        {
            // A rehearsal uploads to the emulator, never to the Azure Monitor the variables name.
            services.AddLogsIngestionRecords(sp => sp.GetRequiredService<AzureRehearsal>().CreateLogsIngestionClient());
        }
        else if (settings.LogsIngestion() is { } logsIngestion)
        {
            services.AddLogsIngestionRecords(logsIngestion, new DefaultAzureCredential());
        }

        if (!settings.Telemetry)
        {
            return;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("dmig"))
            .WithTracing(tracing =>
            {
                tracing.AddSource(MigrationTelemetry.SourceName);
                if (settings.Otlp)
                {
                    tracing.AddOtlpExporter();
                }

                if (settings.AzureMonitor)
                {
                    tracing.AddAzureMonitorTraceExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(MigrationTelemetry.MeterName);
                if (settings.Otlp)
                {
                    metrics.AddOtlpExporter();
                }

                if (settings.AzureMonitor)
                {
                    metrics.AddAzureMonitorMetricExporter();
                }
            });
    }

    /// <summary>The ports the activities take, the same on every backend.</summary>
    private static void AddProviders(ServiceCollection services, string root, bool rehearse)
    {
        services.AddSingleton<IDatabaseProvider, SqliteDatabaseProvider>();
        services.AddSingleton<IDatabaseProvider, PostgresDatabaseProvider>();
        if (rehearse)
        {
            services.AddSingleton<AzureRehearsal>();
            services.AddSqlServerProvider(sp => sp.GetRequiredService<AzureRehearsal>().CreateDmsClient(), AzureRehearsal.RunnerOptions);
        }
        else
        {
            services.AddSqlServerProvider(new DefaultAzureCredential(), AzureResourceManagerSettings.ClientOptions(Environment.GetEnvironmentVariable));
        }

        services.AddSingleton<IDatabaseProviderCatalog, DatabaseProviderCatalog>();
        services.AddSingleton<IConnectionResolver, ConnectionResolver>();
        services.AddSingleton<IConnectionRegistry>(sp => new LocalConnectionRegistry(Path.Combine(root, "registry.db")));
        services.AddSingleton(_ => new HttpClient { Timeout = TimeSpan.FromSeconds(10) });
        services.AddSingleton<IAlertSink, LogAlertSink>();
        services.AddSingleton(new TargetBackupDirectory(Path.Combine(root, "backups")));
        services.AddSingleton<IDetachedRunLauncher>(_ => ProcessRunLauncher.ForCurrentProcess());
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
            // On a remote task hub the workers run the waves: nothing to start here, and nobody to wait for.
            if (_engineStarted || IsRemote)
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
                await StartRehearsalAsync(cancellationToken).ConfigureAwait(false);
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

        if (_workerStarted)
        {
            await _services.GetRequiredService<AzureStorageTaskHubWorker>().StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        // After the engine stopped: the lock says a live process runs the waves.
        _lock?.Dispose();
        _starting.Dispose();
        await _services.DisposeAsync().ConfigureAwait(false);
    }
}
