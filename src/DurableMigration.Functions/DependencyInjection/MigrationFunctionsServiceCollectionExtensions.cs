using DurableMigration.Application.Http;
using DurableMigration.AzureStorage;
using DurableMigration.Functions.Activities;
using DurableMigration.Migration;
using DurableMigration.Providers;
using DurableMigration.Providers.Alerts;
using DurableMigration.Providers.Connections;
using DurableMigration.Providers.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Functions.DependencyInjection;

/// <summary>Registers what the Functions app's activities and HTTP functions take, as <c>dmig</c>'s host does, with stores every instance shares.</summary>
public static class MigrationFunctionsServiceCollectionExtensions
{
    /// <summary>The connection of the progress table, when not the app's own storage account (<see cref="AppStorageConnection"/>).</summary>
    public const string ProgressConnection = "ProgressStorage";

    /// <summary>The app's storage account connection, which the task hub uses too.</summary>
    public const string AppStorageConnection = "AzureWebJobsStorage";

    /// <summary>The setting naming the progress table.</summary>
    public const string ProgressTableSetting = "ProgressTable";

    /// <summary>The setting with the path of the connection registry file.</summary>
    public const string RegistryPathSetting = "ConnectionRegistryPath";

    /// <summary>The setting with the folder that target backups are written to before a rollback drops a target.</summary>
    public const string BackupDirectorySetting = "TargetBackupDirectory";

    /// <summary>The setting with the largest request body the wave API accepts, in bytes (<c>WaveApi__MaxRequestBodySize</c>).</summary>
    public const string MaxRequestBodySizeSetting = "WaveApi:MaxRequestBodySize";

    /// <summary>Adds providers, connection resolver and registry, alert sink, the shared progress store and the wave API's options.</summary>
    public static IServiceCollection AddMigrationFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<IDatabaseProvider, SqliteDatabaseProvider>();
        services.AddSingleton<IDatabaseProviderCatalog, DatabaseProviderCatalog>();
        // env:NAME references resolve from the app settings, which the host passes to the worker as environment variables.
        services.AddSingleton<IConnectionResolver, ConnectionResolver>();
        services.AddSingleton<IConnectionRegistry>(_ => new LocalConnectionRegistry(configuration[RegistryPathSetting] is { Length: > 0 } path ? path : Path.Combine(DataRoot(), "registry.db")));
        services.AddSingleton(_ => new HttpClient { Timeout = TimeSpan.FromSeconds(10) });
        services.AddSingleton<IAlertSink, LogAlertSink>();
        services.AddSingleton(new TargetBackupDirectory(configuration[BackupDirectorySetting] is { Length: > 0 } backups ? backups : Path.Combine(DataRoot(), "backups")));
        // Activities run on any instance of the app: progress goes through a table, not this process's memory.
        services.AddSingleton<IMigrationProgressStore>(sp => new TableMigrationProgressStore(
            StorageAccountConnection.CreateTableServiceClient(configuration, HasConnection(configuration, ProgressConnection) ? ProgressConnection : AppStorageConnection),
            new TableMigrationProgressStoreOptions { TableName = configuration[ProgressTableSetting] is { Length: > 0 } table ? table : TableMigrationProgressStoreOptions.DefaultTableName },
            sp.GetService<ILogger<TableMigrationProgressStore>>()));
        services.AddScoped<InvocationShutdown>();
        services.AddScoped<IWorkerShutdown>(sp => sp.GetRequiredService<InvocationShutdown>());
        services.AddSingleton(new WaveHttpApiOptions(configuration.GetValue(MaxRequestBodySizeSetting, WaveHttpApiOptions.DefaultMaxRequestBodySize)));
        return services;
    }

    /// <summary>Whether connection <paramref name="name"/> is configured, as a connection string or as identity-based settings.</summary>
    private static bool HasConnection(IConfiguration configuration, string name) =>
        configuration[name] is { Length: > 0 } || configuration.GetSection(name).GetChildren().Any();

    /// <summary>Where files the app keeps live: <c>%HOME%/dmig</c> (App Service's persistent share), else the temporary folder.</summary>
    private static string DataRoot() =>
        Path.Combine(Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Path.GetTempPath(), "dmig");
}
