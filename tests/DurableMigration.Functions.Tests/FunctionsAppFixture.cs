using System.Reflection;
using System.Text.Json.Nodes;
using DurableMigration.Application;
using DurableMigration.Application.Http;
using DurableMigration.Engine;
using DurableMigration.Engine.DependencyInjection;
using DurableMigration.Functions.Activities;
using DurableMigration.Functions.DependencyInjection;
using DurableMigration.Functions.Http;
using DurableMigration.Functions.Orchestrations;
using DurableMigration.Host.Tests;
using DurableMigration.Testing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Functions.Tests;

/// <summary>
/// The Functions app without the Functions host: the embedded runtime, in the host's place, runs the app's own
/// orchestration and activity functions (found by their <c>[Function]</c> attributes, each invocation with a mocked
/// <see cref="FunctionContext"/> over the app's DI); the HTTP functions get the runtime's real <see cref="DurableTaskClient"/>.
/// The shared tables live in a real Azurite.
/// </summary>
public sealed class FunctionsAppFixture : IAsyncLifetime, IDisposable
{
    /// <summary>Where the fake host serves the API.</summary>
    public const string BaseUrl = "https://dmig-func.example.net/api/";

    private readonly WaveWorkspace _workspace = new();
    private AzuriteServer? _azurite;
    private ServiceProvider? _services;

    /// <summary>Gets the task hub's client, as <c>[DurableClient]</c> would bind it.</summary>
    public DurableTaskClient Client => _services!.GetRequiredService<DurableTaskClient>();

    /// <summary>Gets the app's services (as its Program.cs registers them, plus the runtime).</summary>
    public IServiceProvider Services => _services!;

    /// <summary>Gets the HTTP functions, built as the worker builds them.</summary>
    public WaveHttpFunctions Http => ActivatorUtilities.CreateInstance<WaveHttpFunctions>(_services!);

    /// <summary>Gets Azurite's connection string.</summary>
    public string StorageConnection => _azurite!.ConnectionString;

    /// <summary>Gets the progress table's name (one per fixture).</summary>
    public string ProgressTable { get; } = "progress" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Gets the connection registry table's name (one per fixture).</summary>
    public string RegistryTable { get; } = "registry" + Guid.NewGuid().ToString("N")[..12];

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteServer.StartAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = _azurite.ConnectionString,
            [MigrationFunctionsServiceCollectionExtensions.ProgressTableSetting] = ProgressTable,
            [MigrationFunctionsServiceCollectionExtensions.RegistryTableSetting] = RegistryTable,
            [MigrationFunctionsServiceCollectionExtensions.BackupDirectorySetting] = Path.Combine(_workspace.Root, "backups"),
            ["WaveApi:MaxRequestBodySize"] = "65536",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMigrationFunctions(configuration);
        services.AddDurableEngine(
            o =>
            {
                o.TaskHubPath = Path.Combine(_workspace.DataDirectory, "taskhub.db");
                o.MaxPollingInterval = TimeSpan.FromMilliseconds(100);
                o.DataConverter = WaveJson.DataConverter;
            },
            AddAppFunctions);
        Directory.CreateDirectory(_workspace.DataDirectory);
        _services = services.BuildServiceProvider();
        await _services.GetRequiredService<DurableEngine>().StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.GetRequiredService<DurableEngine>().StopAsync(CancellationToken.None);
            await _services.DisposeAsync();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    public void Dispose() => _workspace.Dispose();

    /// <summary>Calls an HTTP function with a request to <paramref name="path"/> (under <see cref="BaseUrl"/>); returns its answer.</summary>
    public static async Task<HttpResponseData> CallAsync(Func<HttpRequestData, Task<HttpResponseData>> function, string method, string path, string? body = null, string? contentType = "application/json", IEnumerable<KeyValuePair<string, string>>? headers = null) =>
        await function(FunctionSeams.Request(method, BaseUrl + path, body, contentType, headers));

    /// <summary>Polls <c>GetWave</c> until it answers 200 (<paramref name="meanwhile"/> sees each 202's body); returns the final body.</summary>
    public async Task<JsonNode> PollUntilDoneAsync(string id, Func<JsonNode, Task>? meanwhile = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            var (status, body) = FunctionSeams.Read(await CallAsync(r => Http.GetWave(r, Client, id), "GET", $"waves/{Uri.EscapeDataString(id)}"));
            if (status == System.Net.HttpStatusCode.OK)
            {
                return body!;
            }

            Assert.Equal(System.Net.HttpStatusCode.Accepted, status);
            if (meanwhile is not null)
            {
                await meanwhile(body!);
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>Polls <c>GetWave</c> until its body satisfies <paramref name="until"/>.</summary>
    public async Task<JsonNode> WaitForAsync(string id, Func<JsonNode, bool> until)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            var (_, body) = FunctionSeams.Read(await CallAsync(r => Http.GetWave(r, Client, id), "GET", $"waves/{Uri.EscapeDataString(id)}"));
            if (body is not null && until(body))
            {
                return body;
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>Registers every orchestration and activity function of the app under its function name, as the Functions host binds them.</summary>
    private static void AddAppFunctions(DurableTaskRegistry registry)
    {
        foreach (var (name, method) in Functions(typeof(OrchestrationFunctions)))
        {
            registry.AddOrchestrator(name, () => new OrchestrationFunction(method));
        }

        foreach (var (name, method) in Functions(typeof(ActivityFunctions)))
        {
            registry.AddActivity(name, services => new ActivityFunction(name, method, services));
        }
    }

    /// <summary>The <c>[Function]</c> methods of <paramref name="type"/> by function name.</summary>
    internal static IEnumerable<(string Name, MethodInfo Method)> Functions(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null)
            .Select(m => (m.GetCustomAttribute<FunctionAttribute>()!.Name, m));

    private static async Task<object?> ResultOf(Task task)
    {
        await task;
        return task.GetType().GetProperty(nameof(Task<object>.Result))!.GetValue(task);
    }

    /// <summary>An orchestration function as the host invokes it: the trigger's context, nothing else.</summary>
    private sealed class OrchestrationFunction(MethodInfo method) : ITaskOrchestrator
    {
        // The function reads its input from the context itself.
        public Type InputType => typeof(object);

        public Type OutputType => method.ReturnType.GetGenericArguments()[0];

        public Task<object?> RunAsync(TaskOrchestrationContext context, object? input) => ResultOf((Task)method.Invoke(null, [context])!);
    }

    /// <summary>An activity function as the host invokes it: the bound input and a function context with the caller's instance id.</summary>
    private sealed class ActivityFunction(string name, MethodInfo method, IServiceProvider services) : ITaskActivity
    {
        public Type InputType => method.GetParameters()[0].ParameterType;

        public Type OutputType => method.ReturnType.GetGenericArguments()[0];

        public async Task<object?> RunAsync(TaskActivityContext context, object? input)
        {
            using var scope = services.CreateScope();
            var function = FunctionSeams.Context(
                scope.ServiceProvider, name, new Dictionary<string, object?> { [ActivityInvocation.InstanceIdBinding] = context.InstanceId });
            return await ResultOf((Task)method.Invoke(null, [input, function])!);
        }
    }
}
