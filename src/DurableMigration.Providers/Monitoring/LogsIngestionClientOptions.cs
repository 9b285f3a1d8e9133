using Azure.Core;

namespace DurableMigration.Providers.Monitoring;

/// <summary>Options of <see cref="LogsIngestionClient"/>: where to send, which rule and stream, and Azure.Core's retry, transport and diagnostics.</summary>
/// <remarks>Retries come from <see cref="ClientOptions.Retry"/> (Azure.Core: 408, 429, 500, 502, 503, 504, honouring <c>Retry-After</c>); 5 tries unless set.</remarks>
public sealed class LogsIngestionClientOptions : ClientOptions
{
    /// <summary>The service's limit of one call's body: 1 MB.</summary>
    public const int ServiceLimitBytes = 1024 * 1024;

    /// <summary>Initializes the options.</summary>
    public LogsIngestionClientOptions()
    {
        Retry.MaxRetries = 5;
    }

    /// <summary>Gets or sets the data collection endpoint or the rule's logs ingestion endpoint (<c>https://{dce}.{region}.ingest.monitor.azure.com</c>).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Gets or sets the immutable id of the data collection rule (<c>dcr-...</c>).</summary>
    public string RuleId { get; set; } = string.Empty;

    /// <summary>Gets or sets the stream declared in the rule; <c>Custom-MigrationRecords_CL</c> unless set.</summary>
    public string StreamName { get; set; } = "Custom-MigrationRecords_CL";

    /// <summary>Gets or sets the scope of the bearer tokens; <c>https://monitor.azure.com//.default</c> unless set (sovereign clouds differ).</summary>
    public string TokenScope { get; set; } = "https://monitor.azure.com//.default";

    /// <summary>
    /// Gets or sets the largest uncompressed JSON body of one call; 1,000,000 bytes unless set, under the service's 1 MB
    /// (<see cref="ServiceLimitBytes"/>), so that each call is under the limit compressed and uncompressed.
    /// </summary>
    public int MaxCallBytes { get; set; } = 1_000_000;
}
