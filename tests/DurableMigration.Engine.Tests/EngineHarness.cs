using DurableMigration.Engine.DependencyInjection;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using CoreHistory = DurableTask.Core.History;

namespace DurableMigration.Engine.Tests;

/// <summary>A real engine on a real SQLite file in a fresh temporary folder, for one test.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    /// <summary>The longest any single test waits for an instance; a hang fails the test instead of the run.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly ServiceProvider _services;
    private readonly bool _ownsDirectory;

    private EngineHarness(ServiceProvider services, string directory, string taskHubPath, bool ownsDirectory)
    {
        _services = services;
        Directory = directory;
        TaskHubPath = taskHubPath;
        _ownsDirectory = ownsDirectory;
        Engine = services.GetRequiredService<DurableEngine>();
        Client = services.GetRequiredService<DurableTaskClient>();
        Logs = services.GetRequiredService<CapturedLogs>();
    }

    public string Directory { get; }

    public string TaskHubPath { get; }

    public DurableEngine Engine { get; }

    public DurableTaskClient Client { get; }

    public CapturedLogs Logs { get; }

    public T GetService<T>()
        where T : notnull => _services.GetRequiredService<T>();

    public static string NewDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "dmig-tests", Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>Starts an engine; pass <paramref name="taskHubPath"/> to reopen a task hub another engine used.</summary>
    public static async Task<EngineHarness> StartAsync(
        Action<DurableTaskRegistry> register,
        Action<DurableEngineOptions>? configure = null,
        string? taskHubPath = null,
        bool start = true,
        Action<IServiceCollection>? services = null)
    {
        bool owns = taskHubPath is null;
        string directory = taskHubPath is null ? NewDirectory() : Path.GetDirectoryName(taskHubPath)!;
        string path = taskHubPath ?? Path.Combine(directory, "taskhub.db");
        var logs = new CapturedLogs();
        var collection = new ServiceCollection();
        services?.Invoke(collection); // before the engine's own registrations, so a test's TimeProvider wins
        var provider = collection
            .AddSingleton(logs)
            .AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug))
            .AddDurableEngine(
                o =>
                {
                    o.TaskHubPath = path;
                    o.MaxPollingInterval = TimeSpan.FromMilliseconds(100);
                    configure?.Invoke(o);
                },
                register)
            .BuildServiceProvider();
        var harness = new EngineHarness(provider, directory, path, owns);
        if (start)
        {
            await harness.Engine.StartAsync(CancellationToken.None);
        }

        return harness;
    }

    public Task<string> StartAsync(string orchestrator, object? input = null, string? instanceId = null) =>
        Client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, new StartOrchestrationOptions(instanceId));

    /// <summary>Reads an instance's history as the Durable Task client returns it (Durable Task Framework types).</summary>
    public async Task<IList<CoreHistory.HistoryEvent>> HistoryAsync(string instanceId, CancellationToken cancellationToken = default) =>
        await Client.GetOrchestrationHistoryAsync(instanceId, cancellationToken);

    /// <summary>Polls until the instance's history holds an event of <paramref name="eventType"/>.</summary>
    public async Task<IList<CoreHistory.HistoryEvent>> WaitForHistoryAsync(string instanceId, CoreHistory.EventType eventType)
    {
        using var cts = new CancellationTokenSource(Patience);
        while (true)
        {
            var history = await HistoryAsync(instanceId, cts.Token);
            if (history.Any(e => e.EventType == eventType))
            {
                return history;
            }

            await Task.Delay(20, cts.Token);
        }
    }

    /// <summary>Reads every instance a query matches, across all its pages.</summary>
    public async Task<List<OrchestrationMetadata>> QueryAsync(OrchestrationQuery query)
    {
        var all = new List<OrchestrationMetadata>();
        await foreach (var instance in Client.GetAllInstancesAsync(query))
        {
            all.Add(instance);
        }

        return all;
    }

    /// <summary>Counts the messages still queued for an instance in the task hub file.</summary>
    public async Task<long> QueuedMessagesAsync(string instanceId)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={TaskHubPath};Pooling=False;Default Timeout=60");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM NewEvents WHERE InstanceId = $id";
        command.Parameters.AddWithValue("$id", instanceId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task<OrchestrationMetadata> WaitAsync(string instanceId)
    {
        using var cts = new CancellationTokenSource(Patience);
        return await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
    }

    public async Task<OrchestrationMetadata> RunAsync(string orchestrator, object? input = null, string? instanceId = null) =>
        await WaitAsync(await StartAsync(orchestrator, input, instanceId));

    /// <summary>Polls until <paramref name="condition"/> holds for the instance, or fails after <see cref="Patience"/>.</summary>
    public async Task<OrchestrationMetadata> WaitUntilAsync(string instanceId, Func<OrchestrationMetadata, bool> condition)
    {
        using var cts = new CancellationTokenSource(Patience);
        while (true)
        {
            var metadata = await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cts.Token);
            if (metadata is not null && condition(metadata))
            {
                return metadata;
            }

            await Task.Delay(20, cts.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
        if (_ownsDirectory)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
                // A file still open elsewhere: the temp folder is cleaned by the OS later.
            }
        }
    }
}

/// <summary>Captures every log line written during a test.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<(string Category, LogLevel Level, EventId EventId, string Message)> _lines = new();

    public IReadOnlyList<(string Category, LogLevel Level, EventId EventId, string Message)> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<(string, LogLevel, EventId, string)> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue((category, logLevel, eventId, formatter(state, exception)));
    }
}
