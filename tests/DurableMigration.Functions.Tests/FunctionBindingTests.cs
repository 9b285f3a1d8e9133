using DurableMigration.Functions.Activities;
using DurableMigration.Functions.DependencyInjection;
using DurableMigration.Functions.Orchestrations;
using DurableMigration.Host.Tests;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using DurableMigration.Providers;
using Microsoft.DurableTask;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Functions.Tests;

/// <summary>The orchestration and activity functions bind the same classes, under the names the orchestrations call, with their ports from the app's DI.</summary>
public sealed class FunctionBindingTests : IDisposable
{
    private readonly WaveWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void OrchestrationFunctions_AreNamedAsEveryRegisteredOrchestration()
    {
        var registry = new DurableTaskRegistry().AddMigration();

        var functions = FunctionsAppFixture.Functions(typeof(OrchestrationFunctions)).Select(f => f.Name).Order();

        Assert.Equal(registry.GetOrchestrators().Select(o => o.Key.Name).Order(), functions);
    }

    [Fact]
    public void ActivityFunctions_AreNamedAsEveryRegisteredActivity()
    {
        var registry = new DurableTaskRegistry().AddMigration();

        var functions = FunctionsAppFixture.Functions(typeof(ActivityFunctions)).Select(f => f.Name).Order();

        Assert.Equal(registry.GetActivities().Select(a => a.Key.Name).Order(), functions);
    }

    [Fact]
    public async Task EveryActivity_IsCreatedFromTheAppsServices()
    {
        // Asynchronously disposed, as the worker's host disposes its services: the progress store flushes on DisposeAsync.
        await using var services = AppServices();
        await using var scope = services.CreateAsyncScope();
        var activityTypes = typeof(MigrationRegistration).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsPublic: true } && typeof(ITaskActivity).IsAssignableFrom(t));

        foreach (var type in activityTypes)
        {
            Assert.NotNull(ActivatorUtilities.GetServiceOrCreateInstance(scope.ServiceProvider, type));
        }
    }

    [Fact]
    public async Task ValidateDatabaseFunction_AssessesARealSqliteDatabase_ThroughTheAppsProvider()
    {
        await using var services = AppServices();
        await using var scope = services.CreateAsyncScope();
        var input = new DatabaseStepInput("wave-1", Database("alpha"));

        var report = await ActivityFunctions.ValidateDatabase(input, FunctionSeams.Context(scope.ServiceProvider, MigrationActivityNames.ValidateDatabase));

        Assert.Equal("alpha", report.Database);
        Assert.False(report.IsBlocked);
        Assert.True(report.Tables >= 2);
    }

    [Fact]
    public async Task ActivityInvocation_GivesTheActivityItsNameTheCallersInstanceIdAndTheInvocationsCancellation()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await using var services = AppServices();
        await using var scope = services.CreateAsyncScope();
        var context = FunctionSeams.Context(
            scope.ServiceProvider, "Probe", new Dictionary<string, object?> { [ActivityInvocation.InstanceIdBinding] = "wave-1:alpha" }, cancelled.Token);

        string seen = await ActivityInvocation.RunAsync<ProbeActivity, string, string>("in", context);

        Assert.Equal("Probe|wave-1:alpha|in|cancelled", seen);
    }

    private DatabaseSpec Database(string name) => new(
        name,
        new DatabaseEndpoint("sqlite", $"Data Source={_workspace.SourcePath(name)}"),
        new DatabaseEndpoint("sqlite", $"Data Source={_workspace.TargetPath(name)}"),
        [],
        0,
        null,
        new ValidationOptions(true, true));


    private ServiceProvider AppServices() => new ServiceCollection()
        .AddLogging()
        .AddMigrationFunctions(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Never reached by these tests: the tables are created on first use only.
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            [MigrationFunctionsServiceCollectionExtensions.BackupDirectorySetting] = Path.Combine(_workspace.Root, "backups"),
        }).Build())
        .BuildServiceProvider();

    /// <summary>Reports what the invocation gave it.</summary>
    private sealed class ProbeActivity(IWorkerShutdown shutdown) : TaskActivity<string, string>
    {
        public override Task<string> RunAsync(TaskActivityContext context, string input) =>
            Task.FromResult($"{context.Name}|{context.InstanceId}|{input}|{(shutdown.Token.IsCancellationRequested ? "cancelled" : "running")}");
    }
}
