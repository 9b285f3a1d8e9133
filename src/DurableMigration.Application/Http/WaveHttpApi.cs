using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableMigration.Application.Tickets;
using DurableMigration.Migration;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Application.Http;

/// <summary>The wave API's routes, written once for every host: Durable Functions' HTTP management contract over <see cref="WaveOperations"/>.</summary>
/// <remarks>
/// Each method is one route (<c>docs/http.md</c>): it parses what the route takes from an <see cref="ApiRequest"/>
/// (route values are its parameters), calls the operation, and maps the result to an <see cref="ApiResponse"/>:
/// refusals to RFC 7807 problem details (<see cref="Refusal.StatusCode"/>), accepted work to 202 with <c>Location</c>,
/// <c>Retry-After</c> and the management payload. Keys and routing are the hosts' (<c>dmig serve</c> checks its key file,
/// the Functions host its function keys); everything else a host would otherwise repeat is here.
/// </remarks>
/// <param name="operations">The operations on waves, over the host's client.</param>
/// <param name="options">The API's limits.</param>
public sealed class WaveHttpApi(WaveOperations operations, WaveHttpApiOptions options)
{
    /// <summary>Who raised the events this API raises, as recorded in their payload.</summary>
    public const string RequestedBy = "http";

    private readonly WaveOperations _operations = operations ?? throw new ArgumentNullException(nameof(operations));
    private readonly WaveHttpApiOptions _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary><c>GET /api/health</c>: 200 <c>{"status": "healthy"}</c>; no key needed.</summary>
    public static ApiResponse Health() => ApiResponse.Json(200, new JsonObject { ["status"] = "healthy" });

    /// <summary><c>POST /api/waves</c>: a JSON or YAML manifest; 202 with the management payload, 400 with every manifest error, 409 when the id is taken, 413 over the size limit.</summary>
    public async Task<ApiResponse> StartAsync(ApiRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false) is not { } text)
        {
            return ApiResponse.Status(413);
        }

        var result = await _operations.StartAsync(text, ManifestSourceName(request.ContentType), cancellationToken).ConfigureAwait(false);
        if (result.Refusal is { } refusal)
        {
            var problem = ProblemBody(refusal);
            if (result.WaveId is { } existing && result.Outcome != StartOutcome.InvalidManifest)
            {
                // The caller can follow the wave that holds the id.
                problem["instanceId"] = existing;
                problem["statusQueryGetUri"] = StatusUri(request, existing);
            }

            return Problem(request, refusal.StatusCode, problem);
        }

        return Accepted(request, result.WaveId!, retryAfterSeconds: 10);
    }

    /// <summary><c>GET /api/waves</c>: waves filtered by <c>runtimeStatus</c>, <c>createdTimeFrom</c>, <c>createdTimeTo</c>; <c>top</c> per page, continued with <c>x-ms-continuation-token</c>.</summary>
    public async Task<ApiResponse> ListAsync(ApiRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var statuses = new List<OrchestrationRuntimeStatus>();
        foreach (string item in request.Query["runtimeStatus"].SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            // Names only: Enum.TryParse would take "7" too.
            if (!Enum.TryParse<OrchestrationRuntimeStatus>(item, ignoreCase: true, out var status) || !Enum.IsDefined(status) || int.TryParse(item, CultureInfo.InvariantCulture, out _))
            {
                return BadRequest(request, "Invalid runtimeStatus", $"'{item}' is not a runtime status: use {string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}.");
            }

            statuses.Add(status);
        }

        if (!TryTime(request.QueryValue("createdTimeFrom"), out var from) || !TryTime(request.QueryValue("createdTimeTo"), out var to))
        {
            return BadRequest(request, "Invalid time", "createdTimeFrom and createdTimeTo take ISO 8601 times such as 2026-11-30T08:00:00Z.");
        }

        int top = 100;
        if (request.QueryValue("top") is { } topText && (!int.TryParse(topText, CultureInfo.InvariantCulture, out top) || top < 1 || top > 1000))
        {
            return BadRequest(request, "Invalid top", "top takes a page size from 1 to 1000.");
        }

        string? token = request.ContinuationToken is { Length: > 0 } header ? header : null;
        var page = await _operations.ListWavesAsync(new WaveListQuery(statuses, from, to, top, token), cancellationToken).ConfigureAwait(false);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (page.ContinuationToken is { } next)
        {
            headers[ApiResponse.ContinuationHeader] = next;
        }

        return ApiResponse.Json(200, new JsonArray([.. page.Waves.Select(w => (JsonNode)WaveJson.StatusNode(w))]), headers);
    }

    /// <summary><c>GET /api/waves/{id}</c>: 202 while the wave runs (Pending, Running, Suspended), 200 once it ended, 404 for no such wave; <c>showHistory=true</c> adds its history.</summary>
    public async Task<ApiResponse> GetAsync(ApiRequest request, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        bool showHistory = false;
        if (request.QueryValue("showHistory") is { } text && !bool.TryParse(text, out showHistory))
        {
            return BadRequest(request, "Invalid showHistory", "showHistory takes true or false.");
        }

        // The status object holds the wave and its rollback only: each running database's own status is not read.
        if (await _operations.GetWaveAsync(id, showHistory, liveDatabases: false, cancellationToken).ConfigureAwait(false) is not { } report)
        {
            return Problem(request, Refusal.NoSuchWave(id));
        }

        var status = WaveJson.StatusNode(report.View.Wave, report.View.Rollback?.Wave, report.History);
        if (report.View.Wave.IsCompleted)
        {
            return ApiResponse.Json(200, status);
        }

        return ApiResponse.Json(202, status, Polling(StatusUri(request, id), retryAfterSeconds: 5));
    }

    /// <summary>
    /// <c>GET /api/waves/{id}/databases</c>: one page of the wave's started databases, each with its live status
    /// (<c>customStatus</c>) or result (<c>output</c>); <c>top</c> per page (1–1000, default 100), continued with
    /// <c>x-ms-continuation-token</c>. One instance query per page, however many databases the wave has.
    /// </summary>
    public async Task<ApiResponse> DatabasesAsync(ApiRequest request, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TryTop(request, WaveDatabaseReader.DefaultPageSize, out int top))
        {
            return BadRequest(request, "Invalid top", $"top takes a page size from 1 to {WaveDatabaseReader.MaxPageSize}.");
        }

        var page = await new WaveDatabaseReader(_operations.Client).ListAsync(id, top, ContinuationOf(request), cancellationToken).ConfigureAwait(false);
        if (page is null)
        {
            return Problem(request, Refusal.NoSuchWave(id));
        }

        var body = new JsonObject
        {
            ["wave"] = id,
            ["databases"] = new JsonArray([.. page.Databases.Select(d => (JsonNode)WaveJson.DatabaseNode(d))]),
        };
        return ApiResponse.Json(200, body, Continuation(page.ContinuationToken));
    }

    /// <summary>
    /// <c>GET /api/waves/{id}/timeline</c> (one page of databases, <c>top</c> 1–1000, default 50, continued with
    /// <c>x-ms-continuation-token</c>) and <c>GET /api/waves/{id}/databases/{database}/timeline</c>: each database's steps
    /// over time from its orchestration's history. One history read per database: for a Gantt chart opened on demand.
    /// </summary>
    public async Task<ApiResponse> TimelineAsync(ApiRequest request, string id, string? database, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TryTop(request, 50, out int top))
        {
            return BadRequest(request, "Invalid top", $"top takes a page size from 1 to {WaveDatabaseReader.MaxPageSize}.");
        }

        var page = await new WaveDatabaseReader(_operations.Client).TimelinesAsync(id, database, top, ContinuationOf(request), cancellationToken).ConfigureAwait(false);
        if (page is null)
        {
            return Problem(request, database is null || await _operations.Client.GetInstanceAsync(id, cancellation: cancellationToken).ConfigureAwait(false) is null
                ? Refusal.NoSuchWave(id)
                : new Refusal(RefusalKind.NotFound, "No such database", $"Wave '{id}' has no started database '{database}'."));
        }

        var body = new JsonObject
        {
            ["wave"] = id,
            ["databases"] = new JsonArray([.. page.Databases.Select(d => (JsonNode)WaveJson.TimelineNode(d))]),
        };
        return ApiResponse.Json(200, body, Continuation(page.ContinuationToken));
    }

    /// <summary><c>DELETE /api/waves/{id}</c>: purges a finished wave with its databases and rollback; 409 while any of them runs.</summary>
    public async Task<ApiResponse> PurgeAsync(ApiRequest request, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await _operations.PurgeAsync(id, cancellationToken).ConfigureAwait(false);
        if (result.Refusal is { } refusal)
        {
            return Problem(request, refusal);
        }

        return ApiResponse.Json(200, new JsonObject
        {
            ["instanceId"] = id,
            ["purgedInstanceCount"] = result.PurgedInstanceCount,
            ["instancesDeleted"] = result.PurgedInstanceCount,
        });
    }

    /// <summary><c>POST /api/waves/{id}/approve[/{database}]</c>: approves cutover of one database, or of every database awaiting approval.</summary>
    public async Task<ApiResponse> ApproveAsync(ApiRequest request, string id, string? database, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await _operations.ApproveAsync(id, database, RequestedBy, cancellationToken).ConfigureAwait(false);
        return result.Refusal is { } refusal
            ? Problem(request, refusal)
            : ApiResponse.Json(202, new JsonObject { ["wave"] = id, ["approved"] = new JsonArray([.. result.Databases.Select(d => (JsonNode)d)]) });
    }

    /// <summary><c>POST /api/waves/{id}/retry/{database}</c>: re-runs a database that needs attention from its failed step.</summary>
    public async Task<ApiResponse> RetryAsync(ApiRequest request, string id, string database, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await _operations.RetryAsync(id, database, RequestedBy, cancellationToken).ConfigureAwait(false);
        return result.Refusal is { } refusal
            ? Problem(request, refusal)
            : ApiResponse.Json(202, new JsonObject { ["wave"] = id, ["retried"] = database });
    }

    /// <summary>
    /// <c>POST /api/waves/{id}/rollback</c>: <c>copyBack</c>, <c>discardTargetWrites</c> and <c>retry</c> from a JSON
    /// body or the query; 202 with the management payload of what to follow (the wave, or <c>&lt;wave&gt;:rollback</c>).
    /// </summary>
    public async Task<ApiResponse> RollbackAsync(ApiRequest request, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false) is not { } text)
        {
            return ApiResponse.Status(413);
        }

        JsonObject? body;
        try
        {
            body = string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException ex)
        {
            return BadRequest(request, "Invalid body", $"The body is not JSON: {ex.Message}");
        }

        if (!TryFlag(request, body, "copyBack", out bool copyBack) || !TryFlag(request, body, "discardTargetWrites", out bool discard) || !TryFlag(request, body, "retry", out bool retry))
        {
            return BadRequest(request, "Invalid option", "copyBack, discardTargetWrites and retry take true or false.");
        }

        if (copyBack && discard)
        {
            return BadRequest(request, "Conflicting options", "Choose one of copyBack and discardTargetWrites.");
        }

        var targetWrites = copyBack ? TargetWrites.CopyBack : discard ? TargetWrites.Discard : TargetWrites.Refuse;
        var result = await _operations.RollbackAsync(id, targetWrites, retry, RequestedBy, cancellationToken).ConfigureAwait(false);
        return result.Refusal is { } refusal ? Problem(request, refusal) : Accepted(request, result.InstanceId, retryAfterSeconds: 10);
    }

    /// <summary><c>POST /api/waves/{id}/terminate?reason=</c>: terminates the wave and its running databases; nothing is compensated.</summary>
    public async Task<ApiResponse> TerminateAsync(ApiRequest request, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Control(request, await _operations.TerminateAsync(id, request.QueryValue("reason") ?? "terminated over HTTP", cancellationToken).ConfigureAwait(false));
    }

    /// <summary><c>POST /api/waves/{id}/suspend?reason=</c>: suspends the wave and each running database orchestration.</summary>
    public async Task<ApiResponse> SuspendAsync(ApiRequest request, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Control(request, await _operations.SuspendAsync(id, request.QueryValue("reason") ?? "suspended over HTTP", cancellationToken).ConfigureAwait(false));
    }

    /// <summary><c>POST /api/waves/{id}/resume?reason=</c>: resumes the wave and every suspended database.</summary>
    public async Task<ApiResponse> ResumeAsync(ApiRequest request, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Control(request, await _operations.ResumeAsync(id, request.QueryValue("reason") ?? "resumed over HTTP", cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// <c>POST /api/waves/{id}/raiseEvent/{eventName}</c>, the management payload's <c>sendEventPostUri</c>: the wave's
    /// own events only (<c>ApproveCutover</c> with an optional <c>?database=</c>, <c>Retry</c> with <c>?database=</c>,
    /// <c>Rollback</c>), each checked as its route checks it; no arbitrary event reaches an orchestration.
    /// </summary>
    public async Task<ApiResponse> RaiseEventAsync(ApiRequest request, string id, string eventName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? database = request.QueryValue("database");
        if (string.Equals(eventName, MigrationNames.ApproveCutoverEvent, StringComparison.OrdinalIgnoreCase))
        {
            return await ApproveAsync(request, id, database, cancellationToken).ConfigureAwait(false);
        }

        if (string.Equals(eventName, MigrationNames.RetryEvent, StringComparison.OrdinalIgnoreCase))
        {
            return database is null
                ? BadRequest(request, "Database missing", "The Retry event needs ?database=<name>.")
                : await RetryAsync(request, id, database, cancellationToken).ConfigureAwait(false);
        }

        if (string.Equals(eventName, MigrationNames.RollbackEvent, StringComparison.OrdinalIgnoreCase))
        {
            return await RollbackAsync(request, id, cancellationToken).ConfigureAwait(false);
        }

        return BadRequest(
            request,
            "Unknown event",
            $"'{eventName}' is not an event of a wave: use {MigrationNames.ApproveCutoverEvent}, {MigrationNames.RetryEvent} or {MigrationNames.RollbackEvent}.");
    }

    /// <summary>
    /// <c>POST /api/tickets</c>: a ticket message (<c>docs/tickets.md</c>) from a system that calls webhooks. 202 with
    /// what was done and the management payload of the instance to follow; 200 when the same request was carried out
    /// before; the refusal as problem details otherwise; 413 over the size limit.
    /// </summary>
    public async Task<ApiResponse> TicketAsync(ApiRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false) is not { } text)
        {
            return ApiResponse.Status(413);
        }

        var result = await new TicketIntake(_operations).HandleAsync(text, cancellationToken).ConfigureAwait(false);
        if (result.Refusal is { } refusal)
        {
            return Problem(request, refusal);
        }

        var receipt = result.Receipt!;
        var body = new JsonObject
        {
            ["ticketId"] = receipt.Ticket.Id,
            ["action"] = receipt.Action,
            ["outcome"] = result.Outcome == TicketOutcome.Duplicate ? "duplicate" : "done",
            ["done"] = receipt.Done,
            ["waveId"] = receipt.WaveId,
            ["database"] = receipt.Database,
        };
        foreach (var (name, value) in WaveJson.ManagementPayload(request.WavesUri, result.FollowInstanceId ?? receipt.WaveId))
        {
            body[name] = value?.DeepClone();
        }

        return result.Outcome == TicketOutcome.Duplicate
            ? ApiResponse.Json(200, body)
            : ApiResponse.Json(202, body, Polling(body["statusQueryGetUri"]!.GetValue<string>(), retryAfterSeconds: 10));
    }

    /// <summary>The name a posted manifest is checked under, from its <c>Content-Type</c>: YAML, JSON, or (neither) the text decides.</summary>
    internal static string ManifestSourceName(string? contentType)
    {
        contentType ??= string.Empty;
        return contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase) ? "manifest.yaml"
            : contentType.Contains("json", StringComparison.OrdinalIgnoreCase) ? "manifest.json"
            : "manifest";
    }

    /// <summary>Terminate, suspend and resume: 202 once recorded (the runtime hosting the wave applies it), 404, 409, or 410 when the wave finished.</summary>
    private static ApiResponse Control(ApiRequest request, ControlResult result) =>
        result.Refusal is { } refusal
            ? Problem(request, refusal)
            : ApiResponse.Json(202, new JsonObject { ["instanceId"] = result.WaveId, ["instances"] = new JsonArray([.. result.Instances.Select(i => (JsonNode)i)]) });

    /// <summary>202 with <c>Location</c> (the status URI), <c>Retry-After</c> and Durable Functions' management payload.</summary>
    private static ApiResponse Accepted(ApiRequest request, string instanceId, int retryAfterSeconds)
    {
        var payload = WaveJson.ManagementPayload(request.WavesUri, instanceId);
        return ApiResponse.Json(202, payload, Polling(payload["statusQueryGetUri"]!.GetValue<string>(), retryAfterSeconds));
    }

    private static Dictionary<string, string> Polling(string location, int retryAfterSeconds) => new(StringComparer.OrdinalIgnoreCase)
    {
        [ApiResponse.LocationHeader] = location,
        [ApiResponse.RetryAfterHeader] = retryAfterSeconds.ToString(CultureInfo.InvariantCulture),
    };

    private static ApiResponse Problem(ApiRequest request, Refusal refusal) => Problem(request, refusal.StatusCode, ProblemBody(refusal));

    /// <summary>A problem's body; <c>traceId</c> is added last, after any extension the caller adds, as ASP.NET Core orders it.</summary>
    private static ApiResponse Problem(ApiRequest request, int statusCode, JsonObject problem)
    {
        if (request.TraceId is { } traceId)
        {
            problem["traceId"] = traceId;
        }

        return new ApiResponse(statusCode, new Dictionary<string, string>(), problem, ApiResponse.ProblemContentType);
    }

    /// <summary>A refusal as RFC 7807 problem details, with the manifest errors or differences under <c>errors</c>.</summary>
    private static JsonObject ProblemBody(Refusal refusal)
    {
        var problem = new JsonObject
        {
            ["type"] = refusal.Type,
            ["title"] = refusal.Title,
            ["status"] = refusal.StatusCode,
            ["detail"] = refusal.Detail,
        };
        if (refusal.Errors.Count > 0)
        {
            problem["errors"] = new JsonArray([.. refusal.Errors.Select(e => (JsonNode)new JsonObject { ["path"] = e.Path, ["message"] = e.Message })]);
        }

        return problem;
    }

    private static string? ContinuationOf(ApiRequest request) => request.ContinuationToken is { Length: > 0 } header ? header : null;

    private static Dictionary<string, string> Continuation(string? token)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (token is not null)
        {
            headers[ApiResponse.ContinuationHeader] = token;
        }

        return headers;
    }

    private static bool TryTop(ApiRequest request, int defaultTop, out int top)
    {
        top = defaultTop;
        return request.QueryValue("top") is not { } text
            || (int.TryParse(text, CultureInfo.InvariantCulture, out top) && top >= 1 && top <= WaveDatabaseReader.MaxPageSize);
    }

    private static ApiResponse BadRequest(ApiRequest request, string title, string detail) => Problem(request, new Refusal(RefusalKind.BadInput, title, detail));

    private static string StatusUri(ApiRequest request, string instanceId) => $"{request.WavesUri.TrimEnd('/')}/{Uri.EscapeDataString(instanceId)}";

    private static bool TryTime(string? text, out DateTimeOffset? time)
    {
        time = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            time = parsed;
            return true;
        }

        return false;
    }

    /// <summary>A boolean option from the JSON body or, failing that, the query string; absent means false.</summary>
    private static bool TryFlag(ApiRequest request, JsonObject? body, string name, out bool value)
    {
        value = false;
        if (body?[name] is JsonNode node)
        {
            if (node.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            {
                value = node.GetValue<bool>();
                return true;
            }

            return false;
        }

        return request.QueryValue(name) is not { } text || bool.TryParse(text, out value);
    }

    /// <summary>
    /// Reads the body as UTF-8 text, or <c>null</c> when it is over the limit: a declared length over it is refused
    /// without reading, a chunked body as soon as it crosses it. No body reads as empty.
    /// </summary>
    private async Task<string?> ReadBodyAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        long limit = _options.MaxRequestBodySize;
        if (request.ContentLength > limit)
        {
            return null;
        }

        if (request.Body is null)
        {
            return string.Empty;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

/// <summary>Limits of the wave API, the same in every host.</summary>
/// <param name="MaxRequestBodySize">The largest request body accepted, in bytes; larger ones get 413.</param>
public sealed record WaveHttpApiOptions(long MaxRequestBodySize = WaveHttpApiOptions.DefaultMaxRequestBodySize)
{
    /// <summary>The largest request body accepted unless configured otherwise: 1 MiB.</summary>
    public const long DefaultMaxRequestBodySize = 1024 * 1024;
}
