using DurableMigration.Host.Hosting;

namespace DurableMigration.Host.Tests;

/// <summary>The environment variables that send migration records to Azure Monitor and telemetry to OpenTelemetry exporters.</summary>
public sealed class MonitoringSettingsTests
{
    [Fact]
    public void From_NothingSet_KeepsRecordsInTheDataDirectoryOnly()
    {
        var settings = MonitoringSettings.From(_ => null);

        Assert.Null(settings.LogsIngestion());
        Assert.False(settings.Telemetry);
    }

    [Fact]
    public void From_EndpointAndRule_GivesTheLogsIngestionClientsOptions_WithTheDefaultStreamUnlessSet()
    {
        var variables = new Dictionary<string, string>
        {
            [MonitoringSettings.EndpointVariable] = "https://dmig-dce.westeurope-1.ingest.monitor.azure.com",
            [MonitoringSettings.RuleIdVariable] = "dcr-0123456789abcdef0123456789abcdef",
        };

        var options = MonitoringSettings.From(variables.GetValueOrDefault).LogsIngestion();
        variables[MonitoringSettings.StreamVariable] = "Custom-Waves_CL";
        var withStream = MonitoringSettings.From(variables.GetValueOrDefault).LogsIngestion();

        Assert.Equal(new Uri("https://dmig-dce.westeurope-1.ingest.monitor.azure.com"), options!.Endpoint);
        Assert.Equal("dcr-0123456789abcdef0123456789abcdef", options.RuleId);
        Assert.Equal("Custom-MigrationRecords_CL", options.StreamName);
        Assert.Equal("Custom-Waves_CL", withStream!.StreamName);
    }

    [Theory]
    [InlineData("https://dce.example", null, "DMIG_LOGS_INGESTION_RULE_ID")]
    [InlineData(null, "dcr-1", "DMIG_LOGS_INGESTION_ENDPOINT")]
    [InlineData("http://dce.example", "dcr-1", "absolute https URI")]
    public void From_IncompleteOrInsecureLogsIngestionSettings_SaysWhatIsWrong(string? endpoint, string? rule, string expected)
    {
        var variables = new Dictionary<string, string?>
        {
            [MonitoringSettings.EndpointVariable] = endpoint,
            [MonitoringSettings.RuleIdVariable] = rule,
        };

        var error = Assert.Throws<ArgumentException>(() => MonitoringSettings.From(name => variables.GetValueOrDefault(name)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_StandardOpenTelemetryVariables_TurnOnTheirExporters()
    {
        var otlp = MonitoringSettings.From(name => name == MonitoringSettings.OtlpEndpointVariable ? "http://localhost:4317" : null);
        var azure = MonitoringSettings.From(name => name == MonitoringSettings.AppInsightsVariable ? "InstrumentationKey=00000000-0000-0000-0000-000000000000" : null);

        Assert.True(otlp.Otlp && otlp.Telemetry && !otlp.AzureMonitor);
        Assert.True(azure.AzureMonitor && azure.Telemetry && !azure.Otlp);
    }
}
