using System.IO.Compression;
using System.Net.Http;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Http;

namespace DurableMigration.AzureEmulators;

/// <summary>
/// A loopback Azure Monitor Logs Ingestion API over HTTPS (self-signed certificate made at start):
/// <c>POST /dataCollectionRules/{ruleId}/streams/{stream}?api-version=2023-01-01</c> (or 2021-11-01-preview, the Python client's default).
/// </summary>
/// <remarks>
/// Checks the bearer header (401 otherwise), the api-version (400), the rule and stream (404 for others), the body's size against the
/// service's 1 MB limit, compressed and uncompressed (413 <c>ContentLengthLimitExceeded</c>), gunzips a <c>Content-Encoding: gzip</c> body and
/// parses it as a JSON array of objects (400 otherwise), then answers 204. Errors use the service's shape
/// <c>{"error":{"code":...,"message":...}}</c>. Knobs: <see cref="Throttle"/> (429 with <c>Retry-After</c>) and <see cref="FailNext"/>.
/// Every request and every accepted record is kept for assertions.
/// </remarks>
public sealed partial class LogsIngestionEmulator : IAsyncDisposable
{
    /// <summary>The service's limit of one call: 1 MB.</summary>
    public const int LimitBytes = 1024 * 1024;

    private static readonly string[] ApiVersions = ["2023-01-01", "2021-11-01-preview"];

    private readonly Lock _gate = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<JsonObject> _records = [];
    private readonly Queue<int> _failures = new();
    private LoopbackHttpsServer? _server;
    private int _throttled;
    private int _retryAfter;

    private LogsIngestionEmulator(string ruleId, string streamName)
    {
        RuleId = ruleId;
        StreamName = streamName;
    }

    /// <summary>Gets the emulator's base address (<c>https://127.0.0.1:{port}/</c>): the data collection endpoint.</summary>
    public Uri Endpoint => Server.Endpoint;

    /// <summary>Gets the self-signed certificate the emulator serves.</summary>
    public X509Certificate2 Certificate => Server.Certificate;

    /// <summary>Gets the immutable id of the one data collection rule the emulator knows.</summary>
    public string RuleId { get; }

    /// <summary>Gets the one stream the rule declares.</summary>
    public string StreamName { get; }

    /// <summary>Gets a credential handing out a fixed dummy bearer token.</summary>
    public static TokenCredential Credential { get; } = LoopbackHttpsServer.StaticCredential("logs-emulator-token");

    /// <summary>Gets every request received, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Gets every record accepted, in order.</summary>
    public IReadOnlyList<JsonObject> Records
    {
        get
        {
            lock (_gate)
            {
                return [.. _records];
            }
        }
    }

    private LoopbackHttpsServer Server => _server ?? throw new InvalidOperationException("The emulator is not started.");

    /// <summary>Starts an emulator on a free loopback port.</summary>
    /// <param name="ruleId">The rule's immutable id.</param>
    /// <param name="streamName">The stream.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running emulator.</returns>
    public static async Task<LogsIngestionEmulator> StartAsync(
        string ruleId = "dcr-00000000000000000000000000000000", string streamName = "Custom-MigrationRecords_CL", CancellationToken cancellationToken = default)
    {
        var emulator = new LogsIngestionEmulator(ruleId, streamName);
        // Kestrel reads bodies well past the service's limit, so that the emulator itself answers 413 as the service does.
        emulator._server = await LoopbackHttpsServer.StartAsync("Logs Ingestion emulator", emulator.HandleAsync, 16 * LimitBytes, cancellationToken);
        return emulator;
    }

    /// <summary>An Azure.Core transport that trusts this emulator's certificate (and nothing else).</summary>
    /// <returns>The transport.</returns>
    public HttpClientTransport CreateTransport() => Server.CreateTransport();

    /// <summary>Writes the certificate as PEM, for Python's <c>connection_verify</c>.</summary>
    /// <param name="path">The file to write.</param>
    public void WriteCertificatePem(string path) => Server.WriteCertificatePem(path);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>Answers the next <paramref name="count"/> requests with 429 and <c>Retry-After</c>.</summary>
    /// <param name="count">How many requests to throttle.</param>
    /// <param name="retryAfterSeconds">The <c>Retry-After</c> to send.</param>
    public void Throttle(int count, int retryAfterSeconds = 1)
    {
        lock (_gate)
        {
            _throttled = count;
            _retryAfter = retryAfterSeconds;
        }
    }

    /// <summary>Answers the next request (after authentication) with <paramref name="status"/> (500 unless set).</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="times">How many requests in a row.</param>
    public void FailNext(int status = 500, int times = 1)
    {
        lock (_gate)
        {
            for (int i = 0; i < times; i++)
            {
                _failures.Enqueue(status);
            }
        }
    }

    [GeneratedRegex("^/dataCollectionRules/(?<rule>[^/]+)/streams/(?<stream>[^/]+)/?$")]
    private static partial Regex Route();

    private async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        byte[] body = buffer.ToArray();
        string authorization = request.Headers.Authorization.ToString();
        bool bearer = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization.Length > "Bearer ".Length;
        string? encoding = request.Headers.ContentEncoding.ToString() is { Length: > 0 } e ? e : null;
        (int status, string? code, string? message, int retryAfter, int uncompressed, List<JsonObject>? records) = Dispatch(request, body, bearer, encoding);
        lock (_gate)
        {
            _requests.Add(new RecordedRequest(
                request.Method, request.Path.Value ?? "/", request.QueryString.Value ?? string.Empty, encoding, body.Length, uncompressed,
                records?.Count ?? 0, bearer, status));
            if (status == 204 && records is not null)
            {
                _records.AddRange(records);
            }
        }

        context.Response.StatusCode = status;
        if (retryAfter > 0)
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (code is not null)
        {
            context.Response.Headers["x-ms-error-code"] = code;
            context.Response.ContentType = "application/json; charset=utf-8";
            var error = new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };
            await context.Response.WriteAsync(error.ToJsonString(), context.RequestAborted);
        }
    }

    private (int Status, string? Code, string? Message, int RetryAfter, int Uncompressed, List<JsonObject>? Records) Dispatch(
        HttpRequest request, byte[] body, bool bearer, string? encoding)
    {
        if (!bearer)
        {
            return (401, "InvalidAuthenticationToken", "The Authorization header is missing or is not a bearer token.", 0, 0, null);
        }

        lock (_gate)
        {
            if (_throttled > 0)
            {
                _throttled--;
                return (429, "TooManyRequests", "Too many requests; retry after the time in the Retry-After header.", _retryAfter, 0, null);
            }

            if (_failures.TryDequeue(out int failure))
            {
                return (failure, "InternalServerError", "The emulator was told to fail this request.", 0, 0, null);
            }
        }

        string? apiVersion = request.Query["api-version"];
        if (apiVersion is null || !ApiVersions.Contains(apiVersion))
        {
            return (400, "InvalidApiVersion", $"The api-version '{apiVersion}' is not supported; use 2023-01-01.", 0, 0, null);
        }

        Match route = Route().Match(request.Path.Value ?? string.Empty);
        if (!HttpMethods.IsPost(request.Method) || !route.Success)
        {
            return (404, "NotFound", "No such route.", 0, 0, null);
        }

        if (!string.Equals(Uri.UnescapeDataString(route.Groups["rule"].Value), RuleId, StringComparison.Ordinal))
        {
            return (404, "InvalidDataCollectionRule", $"Data collection rule '{route.Groups["rule"].Value}' was not found.", 0, 0, null);
        }

        if (!string.Equals(Uri.UnescapeDataString(route.Groups["stream"].Value), StreamName, StringComparison.Ordinal))
        {
            return (400, "InvalidStream", $"Stream '{route.Groups["stream"].Value}' is not declared in the data collection rule.", 0, 0, null);
        }

        if (body.Length > LimitBytes)
        {
            return (413, "ContentLengthLimitExceeded", "The request body is over the 1 MB limit.", 0, 0, null);
        }

        byte[] json = body;
        if (string.Equals(encoding, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                using var input = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
                using var output = new MemoryStream();
                input.CopyTo(output);
                json = output.ToArray();
            }
            catch (InvalidDataException)
            {
                return (400, "InvalidContentEncoding", "The body is not valid gzip.", 0, 0, null);
            }
        }
        else if (encoding is not null)
        {
            return (400, "InvalidContentEncoding", $"Content-Encoding '{encoding}' is not supported.", 0, 0, null);
        }

        if (json.Length > LimitBytes)
        {
            return (413, "ContentLengthLimitExceeded", "The uncompressed request body is over the 1 MB limit.", 0, json.Length, null);
        }

        List<JsonObject> records;
        try
        {
            if (JsonNode.Parse(json) is not JsonArray array || array.Any(item => item is not JsonObject))
            {
                return (400, "InvalidPayload", "The body must be a JSON array of objects.", 0, json.Length, null);
            }

            records = [.. array.Select(item => (JsonObject)item!.DeepClone())];
        }
        catch (JsonException)
        {
            return (400, "InvalidPayload", "The body is not valid JSON.", 0, json.Length, null);
        }

        return (204, null, null, 0, json.Length, records);
    }

    /// <summary>One request as received.</summary>
    /// <param name="Method">The HTTP method.</param>
    /// <param name="Path">The path.</param>
    /// <param name="Query">The query string.</param>
    /// <param name="ContentEncoding">The <c>Content-Encoding</c> header, if any.</param>
    /// <param name="BodyBytes">The body's size as sent.</param>
    /// <param name="UncompressedBytes">The body's size once gunzipped (0 when not read).</param>
    /// <param name="RecordCount">How many records the body held (0 when not parsed).</param>
    /// <param name="HadBearerToken">Whether a bearer token came with it.</param>
    /// <param name="Status">The status the emulator answered.</param>
    public sealed record RecordedRequest(
        string Method, string Path, string Query, string? ContentEncoding, int BodyBytes, int UncompressedBytes, int RecordCount, bool HadBearerToken, int Status);

}
