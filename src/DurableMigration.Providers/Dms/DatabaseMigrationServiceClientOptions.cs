using Azure.Core;

namespace DurableMigration.Providers.Dms;

/// <summary>Options of <see cref="DatabaseMigrationServiceClient"/>: the Resource Manager endpoint, the token scope, polling, and Azure.Core's retry, transport and diagnostics.</summary>
/// <remarks>
/// Retries come from <see cref="ClientOptions.Retry"/> (Azure.Core's retry policy: 408, 429, 500, 502, 503 and 504, honouring
/// <c>Retry-After</c>); this class raises its default to 5 tries. Content logging stays off whatever
/// <see cref="DiagnosticsOptions.IsLoggingContentEnabled"/> says: request bodies hold passwords.
/// </remarks>
public sealed class DatabaseMigrationServiceClientOptions : ClientOptions
{
    /// <summary>The public cloud's Resource Manager endpoint.</summary>
    public static readonly Uri PublicCloudEndpoint = new("https://management.azure.com/");

    /// <summary>Initializes the options with the public cloud's endpoint and scope.</summary>
    public DatabaseMigrationServiceClientOptions()
    {
        Retry.MaxRetries = 5;
    }

    /// <summary>Gets or sets the Resource Manager endpoint; <see cref="PublicCloudEndpoint"/> unless set (an emulator's address in tests and rehearsals).</summary>
    public Uri Endpoint { get; set; } = PublicCloudEndpoint;

    /// <summary>Gets or sets the scope of the bearer tokens; <c>https://management.azure.com/.default</c> unless set (sovereign clouds differ).</summary>
    public string TokenScope { get; set; } = "https://management.azure.com/.default";

    /// <summary>Gets or sets how long to wait between polls of a long-running operation when the service sends no <c>Retry-After</c>; 10 seconds unless set.</summary>
    public TimeSpan PollingInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets the longest wait between two polls, whatever <c>Retry-After</c> asks; 2 minutes unless set.</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMinutes(2);
}
