using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableMigration.Application;
using DurableMigration.Migration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Host.Api;

/// <summary>The wave API's routes: Durable Functions' HTTP management contract over <see cref="WaveOperations"/>.</summary>
/// <remarks>
/// The Functions app serves the same routes and payloads. Every route under <c>/api/waves</c> needs the key
/// (<see cref="ApiKeyFilter"/>); bodies are read by hand, after the key check, and never beyond the size limit.
/// </remarks>
internal static class WaveApi
{
    /// <summary>The request and response header that carries a listing's continuation token, as in Durable Functions.</summary>
    public const string ContinuationHeader = "x-ms-continuation-token";

    /// <summary>Who raised the events this API raises, as recorded in their payload.</summary>
    private const string RequestedBy = "http";

    /// <summary>Maps <c>/api/health</c> and the <c>/api/waves</c> group.</summary>
    public static IEndpointRouteBuilder MapWaveApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/health", () => TypedResults.Ok(new JsonObject { ["status"] = "healthy" }));

        var waves = app.MapGroup("/api/waves").AddEndpointFilter<RequestLogFilter>().AddEndpointFilter<ApiKeyFilter>();
        waves.MapPost("/", StartAsync);
        waves.MapGet("/", ListAsync);
        waves.MapGet("/{id}", GetAsync);
        waves.MapDelete("/{id}", PurgeAsync);
        waves.MapPost("/{id}/approve", (string id, WaveOperations operations, CancellationToken ct) => ApproveAsync(id, null, operations, ct));
        waves.MapPost("/{id}/approve/{database}", (string id, string database, WaveOperations operations, CancellationToken ct) => ApproveAsync(id, database, operations, ct));
        waves.MapPost("/{id}/retry/{database}", RetryAsync);
        waves.MapPost("/{id}/rollback", RollbackAsync);
        waves.MapPost("/{id}/terminate", async (string id, string? reason, WaveOperations operations, CancellationToken ct) =>
            Control(await operations.TerminateAsync(id, reason ?? "terminated over HTTP", ct).ConfigureAwait(false)));
        waves.MapPost("/{id}/suspend", async (string id, string? reason, WaveOperations operations, CancellationToken ct) =>
            Control(await operations.SuspendAsync(id, reason ?? "suspended over HTTP", ct).ConfigureAwait(false)));
        waves.MapPost("/{id}/resume", async (string id, string? reason, WaveOperations operations, CancellationToken ct) =>
            Control(await operations.ResumeAsync(id, reason ?? "resumed over HTTP", ct).ConfigureAwait(false)));
        waves.MapPost("/{id}/raiseEvent/{eventName}", RaiseEventAsync);
        return app;
    }

    /// <summary><c>POST /api/waves</c>: a JSON or YAML manifest; 202 with the management payload, 400 with every manifest error, 409 when the id is taken.</summary>
    private static async Task<Results<AcceptedAtRoute, Accepted<JsonObject>, ProblemHttpResult, StatusCodeHttpResult>> StartAsync(
        HttpRequest request, WaveOperations operations, WaveApiOptions options, CancellationToken ct)
    {
        var (text, tooLarge) = await ReadBodyAsync(request, options.MaxRequestBodySize, ct).ConfigureAwait(false);
        if (tooLarge)
        {
            return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        string contentType = request.ContentType ?? string.Empty;
        string source = contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase) ? "manifest.yaml"
            : contentType.Contains("json", StringComparison.OrdinalIgnoreCase) ? "manifest.json"
            : "manifest";
        var result = await operations.StartAsync(text, source, ct).ConfigureAwait(false);
        if (result.Refusal is { } refusal)
        {
            var problem = Problem(refusal);
            if (result.WaveId is { } existing && result.Outcome != StartOutcome.InvalidManifest)
            {
                // The caller can follow the wave that holds the id.
                problem.ProblemDetails.Extensions["instanceId"] = existing;
                problem.ProblemDetails.Extensions["statusQueryGetUri"] = StatusUri(request, existing);
            }

            return problem;
        }

        return Accepted(request, result.WaveId!, retryAfterSeconds: 10);
    }

    /// <summary><c>GET /api/waves</c>: waves filtered by <c>runtimeStatus</c>, <c>createdTimeFrom</c>, <c>createdTimeTo</c>; <c>top</c> per page, continued with <c>x-ms-continuation-token</c>.</summary>
    private static async Task<Results<Ok<JsonArray>, ProblemHttpResult>> ListAsync(HttpContext http, WaveOperations operations, CancellationToken ct)
    {
        var query = http.Request.Query;
        var statuses = new List<OrchestrationRuntimeStatus>();
        foreach (string item in query["runtimeStatus"].SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!Enum.TryParse<OrchestrationRuntimeStatus>(item, ignoreCase: true, out var status) || !Enum.IsDefined(status) || int.TryParse(item, CultureInfo.InvariantCulture, out _))
            {
                return BadRequest("Invalid runtimeStatus", $"'{item}' is not a runtime status: use {string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}.");
            }

            statuses.Add(status);
        }

        if (!TryTime(query["createdTimeFrom"], out var from) || !TryTime(query["createdTimeTo"], out var to))
        {
            return BadRequest("Invalid time", "createdTimeFrom and createdTimeTo take ISO 8601 times such as 2026-11-30T08:00:00Z.");
        }

        int top = 100;
        if (query["top"].FirstOrDefault() is { } topText && (!int.TryParse(topText, CultureInfo.InvariantCulture, out top) || top < 1 || top > 1000))
        {
            return BadRequest("Invalid top", "top takes a page size from 1 to 1000.");
        }

        string? token = http.Request.Headers[ContinuationHeader].FirstOrDefault() is { Length: > 0 } header ? header : null;
        var page = await operations.ListWavesAsync(new WaveListQuery(statuses, from, to, top, token), ct).ConfigureAwait(false);
        if (page.ContinuationToken is { } next)
        {
            http.Response.Headers[ContinuationHeader] = next;
        }

        return TypedResults.Ok(new JsonArray([.. page.Waves.Select(w => (JsonNode)WaveJson.StatusNode(w))]));
    }

    /// <summary><c>GET /api/waves/{id}</c>: 202 while the wave runs (Pending, Running, Suspended), 200 once it ended, 404 for no such wave.</summary>
    private static async Task<Results<Ok<JsonObject>, Accepted<JsonObject>, ProblemHttpResult>> GetAsync(
        string id, bool? showHistory, HttpContext http, WaveOperations operations, CancellationToken ct)
    {
        if (await operations.GetWaveAsync(id, showHistory == true, ct).ConfigureAwait(false) is not { } report)
        {
            return Problem(Refusal.NoSuchWave(id));
        }

        var status = WaveJson.StatusNode(report.View.Wave, report.View.Rollback?.Wave, report.History);
        if (report.View.Wave.IsCompleted)
        {
            return TypedResults.Ok(status);
        }

        http.Response.Headers.RetryAfter = "5";
        return TypedResults.Accepted(StatusUri(http.Request, id), status);
    }

    /// <summary><c>DELETE /api/waves/{id}</c>: purges a finished wave with its databases and rollback; 409 while any of them runs.</summary>
    private static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> PurgeAsync(string id, WaveOperations operations, CancellationToken ct)
    {
        var result = await operations.PurgeAsync(id, ct).ConfigureAwait(false);
        if (result.Refusal is { } refusal)
        {
            return Problem(refusal);
        }

        return TypedResults.Ok(new JsonObject
        {
            ["instanceId"] = id,
            ["purgedInstanceCount"] = result.PurgedInstanceCount,
            ["instancesDeleted"] = result.PurgedInstanceCount,
        });
    }

    private static async Task<Results<Accepted<JsonObject>, ProblemHttpResult>> ApproveAsync(string id, string? database, WaveOperations operations, CancellationToken ct)
    {
        var result = await operations.ApproveAsync(id, database, RequestedBy, ct).ConfigureAwait(false);
        return result.Refusal is { } refusal
            ? Problem(refusal)
            : TypedResults.Accepted((string?)null, new JsonObject { ["wave"] = id, ["approved"] = new JsonArray([.. result.Databases.Select(d => (JsonNode)d)]) });
    }

    private static async Task<Results<Accepted<JsonObject>, ProblemHttpResult>> RetryAsync(string id, string database, WaveOperations operations, CancellationToken ct)
    {
        var result = await operations.RetryAsync(id, database, RequestedBy, ct).ConfigureAwait(false);
        return result.Refusal is { } refusal
            ? Problem(refusal)
            : TypedResults.Accepted((string?)null, new JsonObject { ["wave"] = id, ["retried"] = database });
    }

    /// <summary>
    /// <c>POST /api/waves/{id}/rollback</c>: <c>copyBack</c>, <c>discardTargetWrites</c> and <c>retry</c> from a JSON
    /// body or the query; 202 with the management payload of what to follow (the wave, or <c>&lt;wave&gt;:rollback</c>).
    /// </summary>
    private static async Task<Results<AcceptedAtRoute, Accepted<JsonObject>, ProblemHttpResult, StatusCodeHttpResult>> RollbackAsync(
        string id, HttpRequest request, WaveOperations operations, WaveApiOptions options, CancellationToken ct)
    {
        var (text, tooLarge) = await ReadBodyAsync(request, options.MaxRequestBodySize, ct).ConfigureAwait(false);
        if (tooLarge)
        {
            return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        JsonObject? body;
        try
        {
            body = string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException ex)
        {
            return BadRequest("Invalid body", $"The body is not JSON: {ex.Message}");
        }

        if (!TryFlag(request, body, "copyBack", out bool copyBack) || !TryFlag(request, body, "discardTargetWrites", out bool discard) || !TryFlag(request, body, "retry", out bool retry))
        {
            return BadRequest("Invalid option", "copyBack, discardTargetWrites and retry take true or false.");
        }

        if (copyBack && discard)
        {
            return BadRequest("Conflicting options", "Choose one of copyBack and discardTargetWrites.");
        }

        var targetWrites = copyBack ? TargetWrites.CopyBack : discard ? TargetWrites.Discard : TargetWrites.Refuse;
        var result = await operations.RollbackAsync(id, targetWrites, retry, RequestedBy, ct).ConfigureAwait(false);
        return result.Refusal is { } refusal ? Problem(refusal) : Accepted(request, result.InstanceId, retryAfterSeconds: 10);
    }

    /// <summary>
    /// <c>POST /api/waves/{id}/raiseEvent/{eventName}</c>, the management payload's <c>sendEventPostUri</c>: the wave's
    /// own events only (<c>ApproveCutover</c> with an optional <c>?database=</c>, <c>Retry</c> with <c>?database=</c>,
    /// <c>Rollback</c>), each checked as its route checks it; no arbitrary event reaches an orchestration.
    /// </summary>
    private static async Task<IResult> RaiseEventAsync(string id, string eventName, string? database, HttpRequest request, WaveOperations operations, WaveApiOptions options, CancellationToken ct)
    {
        if (string.Equals(eventName, MigrationNames.ApproveCutoverEvent, StringComparison.OrdinalIgnoreCase))
        {
            return await ApproveAsync(id, database, operations, ct).ConfigureAwait(false);
        }

        if (string.Equals(eventName, MigrationNames.RetryEvent, StringComparison.OrdinalIgnoreCase))
        {
            return database is null
                ? BadRequest("Database missing", "The Retry event needs ?database=<name>.")
                : await RetryAsync(id, database, operations, ct).ConfigureAwait(false);
        }

        if (string.Equals(eventName, MigrationNames.RollbackEvent, StringComparison.OrdinalIgnoreCase))
        {
            return await RollbackAsync(id, request, operations, options, ct).ConfigureAwait(false);
        }

        return BadRequest(
            "Unknown event",
            $"'{eventName}' is not an event of a wave: use {MigrationNames.ApproveCutoverEvent}, {MigrationNames.RetryEvent} or {MigrationNames.RollbackEvent}.");
    }

    /// <summary>Terminate, suspend and resume: 202 once recorded (the runtime in this process applies it), 404, 409, or 410 when the wave finished.</summary>
    private static Results<Accepted<JsonObject>, ProblemHttpResult> Control(ControlResult result) =>
        result.Refusal is { } refusal
            ? Problem(refusal)
            : TypedResults.Accepted((string?)null, new JsonObject { ["instanceId"] = result.WaveId, ["instances"] = new JsonArray([.. result.Instances.Select(i => (JsonNode)i)]) });

    /// <summary>202 with <c>Location</c> (the status URI), <c>Retry-After</c> and Durable Functions' management payload.</summary>
    private static Accepted<JsonObject> Accepted(HttpRequest request, string instanceId, int retryAfterSeconds)
    {
        request.HttpContext.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        var payload = WaveJson.ManagementPayload(WavesUri(request), instanceId);
        return TypedResults.Accepted(payload["statusQueryGetUri"]!.GetValue<string>(), payload);
    }

    /// <summary>A refusal as RFC 7807 problem details, with the manifest errors or differences under <c>errors</c>.</summary>
    internal static ProblemHttpResult Problem(Refusal refusal)
    {
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (refusal.Errors.Count > 0)
        {
            extensions["errors"] = new JsonArray([.. refusal.Errors.Select(e => (JsonNode)new JsonObject { ["path"] = e.Path, ["message"] = e.Message })]);
        }

        return TypedResults.Problem(refusal.Detail, statusCode: refusal.StatusCode, title: refusal.Title, type: refusal.Type, extensions: extensions);
    }

    private static ProblemHttpResult BadRequest(string title, string detail) => Problem(new Refusal(RefusalKind.BadInput, title, detail));

    /// <summary>The URI of the waves collection as the caller reached it (scheme, host, path base).</summary>
    internal static string WavesUri(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}/api/waves";

    private static string StatusUri(HttpRequest request, string instanceId) => $"{WavesUri(request)}/{Uri.EscapeDataString(instanceId)}";

    /// <summary>
    /// Reads the body as text, stopping past <paramref name="limit"/> bytes: a declared length over it is refused
    /// without reading, a chunked body as soon as it crosses it (Kestrel's own limit backs this up).
    /// </summary>
    internal static async Task<(string Text, bool TooLarge)> ReadBodyAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            return (string.Empty, true);
        }

        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return (string.Empty, true);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (string.Empty, true);
        }

        return (Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length), false);
    }

    private static bool TryTime(Microsoft.Extensions.Primitives.StringValues values, out DateTimeOffset? time)
    {
        time = null;
        if (values.FirstOrDefault() is not { Length: > 0 } text)
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
    private static bool TryFlag(HttpRequest request, JsonObject? body, string name, out bool value)
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

        return request.Query[name].FirstOrDefault() is not { } text || bool.TryParse(text, out value);
    }
}

/// <summary>Limits of the wave API.</summary>
/// <param name="MaxRequestBodySize">The largest request body accepted, in bytes; larger ones get 413.</param>
internal sealed record WaveApiOptions(long MaxRequestBodySize);

/// <summary>Lets a request through only with the API key, in <c>x-functions-key</c> or <c>?code=</c>, as function-level authorization does.</summary>
internal sealed class ApiKeyFilter(ApiKeyFile keys) : IEndpointFilter
{
    /// <summary>The header that carries the key, as for Azure Functions.</summary>
    public const string KeyHeader = "x-functions-key";

    /// <inheritdoc/>
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var request = context.HttpContext.Request;
        string? presented = request.Headers[KeyHeader].FirstOrDefault() ?? request.Query["code"].FirstOrDefault();
        // No detail: a caller without the key learns nothing, not even whether the wave exists.
        return keys.Matches(presented) ? await next(context).ConfigureAwait(false) : TypedResults.Unauthorized();
    }
}
