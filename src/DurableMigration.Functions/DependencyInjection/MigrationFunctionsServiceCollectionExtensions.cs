using Azure.Data.Tables;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using DurableMigration.Application.Http;
using DurableMigration.AzureStorage;
using DurableMigration.Functions.Activities;
using DurableMigration.Migration;
using DurableMigration.Monitoring;
using DurableMigration.Providers;
using DurableMigration.Providers.Alerts;
using DurableMigration.Providers.Connections;
using DurableMigration.Providers.DependencyInjection;
using DurableMigration.Providers.Monitoring;
using DurableMigration.Providers.Postgres;
using DurableMigration.Providers.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DurableMigration.Functions.DependencyInjection;

/// <summary>Registers what the Functions app's activities and HTTP functions take, as <c>dmig</c>'s host does, with stores every instance shares.</summary>
public static class MigrationFunctionsServiceCollectionExtensions
{
    /// <summary>The connection of the app's shared tables (progress, connection registry) when not the app's own storage account (<see cref="AppStorageConnection"/>).</summary>
    public const string MigrationStorageConnection = "MigrationStorage";

    /// <summary>The app's storage account connection, which the task hub uses too.</summary>
    public const string AppStorageConnection = "AzureWebJobsStorage";

    /// <summary>The setting naming the progress table.</summary>
    public const string ProgressTableSetting = "ProgressTable";

    /// <summary>The setting naming the connection registry's table.</summary>
    public const string RegistryTableSetting = "ConnectionRegistryTable";

    /// <summary>The setting with the folder that target backups are written to before a rollback drops a target.</summary>
    public const string BackupDirectorySetting = "TargetBackupDirectory";

    /// <summary>The setting with the largest request body the wave API accepts, in bytes (<c>WaveApi__MaxRequestBodySize</c>).</summary>
    public const string MaxRequestBodySizeSetting = "WaveApi:MaxRequestBodySize";

    /// <summary>The section of the Logs Ingestion settings (<c>LogsIngestion__Endpoint</c>, <c>__RuleId</c>, <c>__Stream</c>, <c>__ClientId</c>).</summary>
    public const string LogsIngestionSection = "LogsIngestion";

    /// <summary>
    /// Adds providers, connection resolver, alert sink, the shared connection registry and progress store, the wave API's
    /// options, and the migration records: their metrics always, and Azure Monitor's Logs Ingestion API when
    /// <see cref="LogsIngestionSection"/> names an endpoint and a rule.
    /// </summary>
    public static IServiceCollection AddMigrationFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<IDatabaseProvider, SqliteDatabaseProvider>();
        services.AddSingleton<IDatabaseProvider, PostgresDatabaseProvider>();
        // sqlserver: the Database Migration Service through Resource Manager, as the app's managed identity (AZURE_CLIENT_ID for a user-assigned one).
        services.AddSqlServerProvider(new DefaultAzureCredential());
        services.AddSingleton<IDatabaseProviderCatalog, DatabaseProviderCatalog>();
        // env:NAME references resolve from the app settings, which the host passes to the worker as environment variables.
        services.AddSingleton<IConnectionResolver, ConnectionResolver>();
        // Activities run on any instance of the app: the registry and the copy's progress live in tables every instance
        // reads, not in this process's memory or files.
        services.AddSingleton(_ => new MigrationTables(StorageAccountConnection.CreateTableServiceClient(
            configuration, HasConnection(configuration, MigrationStorageConnection) ? MigrationStorageConnection : AppStorageConnection)));
        services.AddSingleton<IConnectionRegistry>(sp => new TableConnectionRegistry(
            sp.GetRequiredService<MigrationTables>().Service, Setting(configuration, RegistryTableSetting, TableConnectionRegistry.DefaultTableName)));
        services.AddSingleton(_ => new HttpClient { Timeout = TimeSpan.FromSeconds(10) });
        services.AddSingleton<IAlertSink, LogAlertSink>();
        services.AddSingleton(new TargetBackupDirectory(configuration[BackupDirectorySetting] is { Length: > 0 } backups ? backups : Path.Combine(DataRoot(), "backups")));
        services.AddSingleton<IMigrationProgressStore>(sp => new TableMigrationProgressStore(
            sp.GetRequiredService<MigrationTables>().Service,
            new TableMigrationProgressStoreOptions { TableName = Setting(configuration, ProgressTableSetting, TableMigrationProgressStoreOptions.DefaultTableName) },
            sp.GetService<ILogger<TableMigrationProgressStore>>()));
        services.AddScoped<InvocationShutdown>();
        services.AddScoped<IWorkerShutdown>(sp => sp.GetRequiredService<InvocationShutdown>());
        services.AddSingleton(new WaveHttpApiOptions(configuration.GetValue(MaxRequestBodySizeSetting, WaveHttpApiOptions.DefaultMaxRequestBodySize)));
        AddRecords(services, configuration.GetSection(LogsIngestionSection));
        AddTelemetry(services, configuration);
        return services;
    }

    /// <summary>The setting with Application Insights' connection string, which also turns on the OpenTelemetry exporters.</summary>
    public const string ApplicationInsightsSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>
    /// OpenTelemetry traces (one span per activity run) and metrics (from the records) to Azure Monitor through
    /// <c>Azure.Monitor.OpenTelemetry.Exporter</c>, when <see cref="ApplicationInsightsSetting"/> is set; the exporter reads the
    /// connection string itself (it holds a key: it is kept nowhere else).
    /// </summary>
    private static void AddTelemetry(IServiceCollection services, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration[ApplicationInsightsSetting]))
        {
            return;
        }

        string connection = configuration[ApplicationInsightsSetting]!;
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("dmig-functions"))
            .WithTracing(tracing => tracing.AddSource(MigrationTelemetry.SourceName).AddAzureMonitorTraceExporter(o => o.ConnectionString = connection))
            .WithMetrics(metrics => metrics.AddMeter(MigrationTelemetry.MeterName).AddAzureMonitorMetricExporter(o => o.ConnectionString = connection));
    }

    /// <summary>
    /// The records the orchestrations log go to the metrics (and, as readable lines, to Application Insights with the other
    /// logs); with <c>LogsIngestion:Endpoint</c> and <c>LogsIngestion:RuleId</c> set, also to the data collection rule's
    /// stream (<c>LogsIngestion:Stream</c>, <c>Custom-MigrationRecords_CL</c> unless set), signed in as the app's managed
    /// identity (<c>LogsIngestion:ClientId</c> for a user-assigned one).
    /// </summary>
    private static void AddRecords(IServiceCollection services, IConfigurationSection settings)
    {
        services.AddMigrationRecords();
        string? endpoint = settings["Endpoint"];
        string? rule = settings["RuleId"];
        if (string.IsNullOrWhiteSpace(endpoint) && string.IsNullOrWhiteSpace(rule))
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(endpoint) || string.IsNullOrWhiteSpace(rule) || !Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new InvalidOperationException(
                $"Migration records to Azure Monitor need {LogsIngestionSection}__Endpoint (an absolute https URI) and {LogsIngestionSection}__RuleId; set both or neither.");
        }

        var client = new LogsIngestionClientOptions { Endpoint = uri, RuleId = rule };
        if (settings["Stream"] is { Length: > 0 } stream)
        {
            client.StreamName = stream;
        }

        var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = settings["ClientId"] is { Length: > 0 } id ? id : null });
        services.AddLogsIngestionRecords(client, credential);
    }

    /// <summary>Whether connection <paramref name="name"/> is configured, as a connection string or as identity-based settings.</summary>
    private static bool HasConnection(IConfiguration configuration, string name) =>
        configuration[name] is { Length: > 0 } || configuration.GetSection(name).GetChildren().Any();

    private static string Setting(IConfiguration configuration, string name, string fallback) => configuration[name] is { Length: > 0 } value ? value : fallback;

    /// <summary>Where files the app keeps live: <c>%HOME%/dmig</c> (App Service's persistent share), else the temporary folder.</summary>
    private static string DataRoot() =>
        Path.Combine(Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Path.GetTempPath(), "dmig");
}

/// <summary>The table service of the app's shared tables, kept under its own type so nothing else that asks DI for a <see cref="TableServiceClient"/> gets it by accident.</summary>
/// <param name="Service">The table service.</param>
internal sealed record MigrationTables(TableServiceClient Service);
