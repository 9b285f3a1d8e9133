using DurableMigration.Functions.DependencyInjection;
using DurableMigration.Providers.Monitoring;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Functions.Tests;

/// <summary>Where the Functions app's migration records go, from its app settings.</summary>
public sealed class RecordSettingsTests
{
    [Fact]
    public async Task WithoutLogsIngestionSettings_RecordsFeedTheMetricsOnly()
    {
        await using ServiceProvider app = App([]);

        Assert.Contains(app.GetServices<ILoggerProvider>(), p => p is MigrationRecordLoggerProvider);
        Assert.IsType<MigrationRecordMetrics>(Assert.Single(app.GetServices<IMigrationRecordSink>()));
    }

    [Fact]
    public async Task WithAnEndpointAndARule_RecordsAlsoGoToTheLogsIngestionApi()
    {
        await using ServiceProvider app = App(new()
        {
            ["LogsIngestion:Endpoint"] = "https://dmig-dce.westeurope-1.ingest.monitor.azure.com",
            ["LogsIngestion:RuleId"] = "dcr-0123456789abcdef0123456789abcdef",
        });

        Assert.Contains(app.GetServices<IMigrationRecordSink>(), s => s is BufferedLogsIngestionSink);
    }

    [Fact]
    public void WithAnEndpointButNoRule_TheAppDoesNotStart_AndSaysWhichSettingsItNeeds()
    {
        var error = Assert.Throws<InvalidOperationException>(() => App(new() { ["LogsIngestion:Endpoint"] = "https://dmig-dce.westeurope-1.ingest.monitor.azure.com" }));

        Assert.Contains("LogsIngestion__RuleId", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithApplicationInsights_TracesAndMetricsGoThroughOpenTelemetry()
    {
        await using ServiceProvider app = App(new() { ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "InstrumentationKey=00000000-0000-0000-0000-000000000000" });

        Assert.NotNull(app.GetService<OpenTelemetry.Trace.TracerProvider>());
        Assert.NotNull(app.GetService<OpenTelemetry.Metrics.MeterProvider>());
    }

    [Fact]
    public async Task WithoutApplicationInsights_NoOpenTelemetryExporterIsRegistered()
    {
        await using ServiceProvider app = App([]);

        Assert.Null(app.GetService<OpenTelemetry.Trace.TracerProvider>());
    }

    private static ServiceProvider App(Dictionary<string, string?> settings)
    {
        settings["AzureWebJobsStorage"] = "UseDevelopmentStorage=true"; // never reached: tables are created on first use
        return new ServiceCollection()
            .AddLogging()
            .AddMigrationFunctions(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();
    }
}
