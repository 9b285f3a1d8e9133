using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using DurableMigration.Monitoring;

namespace DurableMigration.Providers.Monitoring;

/// <summary>
/// Sends migration records to Azure Monitor through the Logs Ingestion API:
/// <c>POST {endpoint}/dataCollectionRules/{ruleId}/streams/{stream}?api-version=2023-01-01</c>, a gzip-compressed JSON array per call.
/// </summary>
/// <remarks>
/// <para>
/// Stands in for <c>Azure.Monitor.Ingestion</c>'s <c>LogsIngestionClient.UploadAsync</c>, which the package registry here does not serve;
/// swap back when it is served. Like that client (and Microsoft's Python <c>azure.monitor.ingestion</c>), it splits the records into calls
/// under the service's 1 MB limit and compresses each with gzip; the split is made on the uncompressed size
/// (<see cref="LogsIngestionClientOptions.MaxCallBytes"/>), so each call is under the limit compressed and uncompressed.
/// </para>
/// <para>
/// Calls go through an Azure.Core <see cref="HttpPipeline"/>: bearer tokens from the <see cref="TokenCredential"/> (scope
/// <c>https://monitor.azure.com//.default</c>) and Azure.Core's retry policy (408, 429, 5xx, honouring <c>Retry-After</c>). Any other refusal
/// surfaces as a <see cref="LogsIngestionException"/> carrying the service's error code and message; content logging is forced off.
/// </para>
/// </remarks>
public sealed class LogsIngestionClient
{
    /// <summary>The api-version this client speaks.</summary>
    public const string ApiVersion = "2023-01-01";

    private readonly HttpPipeline _pipeline;
    private readonly Uri _uri;
    private readonly int _maxCallBytes;

    /// <summary>Initializes a client that authenticates with <paramref name="credential"/> (<c>DefaultAzureCredential</c> in production).</summary>
    /// <param name="credential">The credential; its identity needs <c>Monitoring Metrics Publisher</c> on the data collection rule.</param>
    /// <param name="options">The endpoint, rule, stream, retry and transport options.</param>
    public LogsIngestionClient(TokenCredential credential, LogsIngestionClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Endpoint is null || !options.Endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException("The logs ingestion endpoint must be an absolute URI.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.RuleId) || string.IsNullOrWhiteSpace(options.StreamName))
        {
            throw new ArgumentException("The data collection rule's immutable id and the stream name are required.", nameof(options));
        }

        if (options.MaxCallBytes is < 1024 or > LogsIngestionClientOptions.ServiceLimitBytes)
        {
            throw new ArgumentException($"MaxCallBytes must be between 1024 and {LogsIngestionClientOptions.ServiceLimitBytes}.", nameof(options));
        }

        options.Diagnostics.IsLoggingContentEnabled = false;
        _maxCallBytes = options.MaxCallBytes;
        _uri = new Uri(
            options.Endpoint.AbsoluteUri.TrimEnd('/') + "/dataCollectionRules/" + Uri.EscapeDataString(options.RuleId)
            + "/streams/" + Uri.EscapeDataString(options.StreamName) + "?api-version=" + ApiVersion);
        _pipeline = HttpPipelineBuilder.Build(
            options,
            perCallPolicies: [],
            perRetryPolicies: [new BearerTokenAuthenticationPolicy(credential, options.TokenScope)],
            responseClassifier: new ResponseClassifier());
    }

    /// <summary>Gets the address every call posts to.</summary>
    public Uri UploadUri => _uri;

    /// <summary>Uploads records: as many calls as the 1 MB limit needs, in order, each gzip-compressed.</summary>
    /// <param name="records">The records.</param>
    /// <param name="cancellationToken">Cancels the upload (calls already accepted stay accepted).</param>
    /// <returns>A task that completes when every call was accepted.</returns>
    /// <exception cref="ArgumentException">One record alone is over the limit.</exception>
    /// <exception cref="LogsIngestionException">The service refused a call (after Azure.Core's retries for 408, 429 and 5xx); earlier calls were accepted.</exception>
    public async Task UploadAsync(IReadOnlyList<MigrationRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (byte[] body in Split(records, _maxCallBytes))
        {
            await SendAsync(Compress(body), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Serializes records to JSON arrays of at most <paramref name="maxBytes"/> UTF-8 bytes each.</summary>
    internal static IEnumerable<byte[]> Split(IReadOnlyList<MigrationRecord> records, int maxBytes)
    {
        using var buffer = new MemoryStream();
        int count = 0;
        for (int i = 0; i < records.Count; i++)
        {
            byte[] json = JsonSerializer.SerializeToUtf8Bytes(records[i], MigrationRecordJsonContext.Default.MigrationRecord);
            if (json.Length + 2 > maxBytes)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Record {i} alone is {json.Length} bytes, over the {maxBytes}-byte limit of one call."),
                    nameof(records));
            }

            // '[' + records joined by ',' + ']'.
            if (count > 0 && buffer.Length + 1 + json.Length + 1 > maxBytes)
            {
                buffer.WriteByte((byte)']');
                yield return buffer.ToArray();
                buffer.SetLength(0);
                count = 0;
            }

            buffer.WriteByte(count == 0 ? (byte)'[' : (byte)',');
            buffer.Write(json);
            count++;
        }

        if (count > 0)
        {
            buffer.WriteByte((byte)']');
            yield return buffer.ToArray();
        }
    }

    private static byte[] Compress(byte[] body)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(body);
        }

        return output.ToArray();
    }

    private async Task SendAsync(byte[] gzipBody, CancellationToken cancellationToken)
    {
        using HttpMessage message = _pipeline.CreateMessage();
        Request request = message.Request;
        request.Method = RequestMethod.Post;
        request.Uri.Reset(_uri);
        request.Headers.Add("Content-Type", "application/json");
        request.Headers.Add("Content-Encoding", "gzip");
        request.Content = RequestContent.Create(gzipBody);
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        Response response = message.Response;
        if (response.Status is 204 or 200)
        {
            return;
        }

        (string? code, string? text) = ReadError(response);
        throw new LogsIngestionException(
            response.Status,
            code,
            string.Create(
                CultureInfo.InvariantCulture,
                $"The Logs Ingestion API refused the upload to {_uri.AbsolutePath}: {response.Status} {code ?? response.ReasonPhrase}{(text is null ? string.Empty : ": " + text)}"));
    }

    private static (string? Code, string? Message) ReadError(Response response)
    {
        try
        {
            if (response.Content is null || response.Content.ToMemory().Length == 0)
            {
                return (null, null);
            }

            using JsonDocument document = JsonDocument.Parse(response.Content.ToMemory());
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out JsonElement error)
                && error.ValueKind == JsonValueKind.Object)
            {
                string? code = error.TryGetProperty("code", out JsonElement c) ? c.GetString() : null;
                string? message = error.TryGetProperty("message", out JsonElement m) ? m.GetString() : null;
                return (code, message);
            }

            return (null, null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
