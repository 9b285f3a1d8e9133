using DurableMigration.Providers.Monitoring;

namespace DurableMigration.Host.Hosting;

/// <summary>Where <c>dmig</c> sends migration records and telemetry beyond the data directory, from environment variables.</summary>
/// <remarks>
/// <para>Records always go to <c>&lt;data-dir&gt;/records.jsonl</c>. With <see cref="EndpointVariable"/> and
/// <see cref="RuleIdVariable"/> set (and <see cref="StreamVariable"/> optionally) they also go to Azure Monitor through the
/// Logs Ingestion API, authenticated with <c>DefaultAzureCredential</c>.</para>
/// <para>OpenTelemetry follows its standard variables: <see cref="OtlpEndpointVariable"/> turns on the OTLP exporter
/// (which reads the other <c>OTEL_EXPORTER_OTLP_*</c> variables itself), <see cref="AppInsightsVariable"/> the Azure
/// Monitor exporter (which reads the connection string itself: it is a secret, so it is kept nowhere else).</para>
/// </remarks>
/// <param name="LogsIngestionEndpoint">The data collection endpoint (or the rule's logs ingestion endpoint).</param>
/// <param name="RuleId">The immutable id of the data collection rule.</param>
/// <param name="Stream">The rule's stream; <c>Custom-MigrationRecords_CL</c> when <see langword="null"/>.</param>
/// <param name="Otlp">Whether traces and metrics go to an OTLP endpoint.</param>
/// <param name="AzureMonitor">Whether traces and metrics go to Application Insights.</param>
internal sealed record MonitoringSettings(Uri? LogsIngestionEndpoint, string? RuleId, string? Stream, bool Otlp, bool AzureMonitor)
{
    /// <summary>The data collection endpoint of the Logs Ingestion API.</summary>
    public const string EndpointVariable = "DMIG_LOGS_INGESTION_ENDPOINT";

    /// <summary>The immutable id (<c>dcr-...</c>) of the data collection rule.</summary>
    public const string RuleIdVariable = "DMIG_LOGS_INGESTION_RULE_ID";

    /// <summary>The rule's stream (<c>Custom-MigrationRecords_CL</c> unless set).</summary>
    public const string StreamVariable = "DMIG_LOGS_INGESTION_STREAM";

    /// <summary>OpenTelemetry's standard variable of the OTLP endpoint.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Application Insights' connection string (read by the Azure Monitor exporter itself).</summary>
    public const string AppInsightsVariable = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>Nothing beyond the data directory.</summary>
    public static readonly MonitoringSettings None = new(null, null, null, false, false);

    /// <summary>Gets a value indicating whether OpenTelemetry has an exporter to send to.</summary>
    public bool Telemetry => Otlp || AzureMonitor;

    /// <summary>Reads the settings through <paramref name="variable"/> (the process's environment in <c>dmig</c>).</summary>
    /// <param name="variable">Gives an environment variable's value, or <see langword="null"/>.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="ArgumentException">The Logs Ingestion variables are incomplete or the endpoint is not an absolute https URI.</exception>
    public static MonitoringSettings From(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string? endpoint = Value(variable, EndpointVariable);
        string? rule = Value(variable, RuleIdVariable);
        string? stream = Value(variable, StreamVariable);
        Uri? uri = null;
        if (endpoint is not null || rule is not null)
        {
            if (endpoint is null || rule is null)
            {
                throw new ArgumentException($"Migration records to Azure Monitor need both {EndpointVariable} and {RuleIdVariable}; only {(endpoint is null ? RuleIdVariable : EndpointVariable)} is set.");
            }

            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out uri) || uri.Scheme != Uri.UriSchemeHttps)
            {
                throw new ArgumentException($"{EndpointVariable} must be an absolute https URI, such as https://my-dce.westeurope-1.ingest.monitor.azure.com; it is '{endpoint}'.");
            }
        }

        return new MonitoringSettings(uri, rule, stream, Value(variable, OtlpEndpointVariable) is not null, Value(variable, AppInsightsVariable) is not null);
    }

    /// <summary>The Logs Ingestion client's options, when records go to Azure Monitor; <see langword="null"/> otherwise.</summary>
    /// <returns>The options.</returns>
    public LogsIngestionClientOptions? LogsIngestion()
    {
        if (LogsIngestionEndpoint is null || RuleId is null)
        {
            return null;
        }

        var options = new LogsIngestionClientOptions { Endpoint = LogsIngestionEndpoint, RuleId = RuleId };
        if (Stream is not null)
        {
            options.StreamName = Stream;
        }

        return options;
    }

    private static string? Value(Func<string, string?> variable, string name) => variable(name) is { Length: > 0 } value ? value.Trim() : null;
}
