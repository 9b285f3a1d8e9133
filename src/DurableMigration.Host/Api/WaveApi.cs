using System.Diagnostics;
using DurableMigration.Application.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace DurableMigration.Host.Api;

/// <summary>The wave API's routes in ASP.NET Core: a thin adapter over <see cref="WaveHttpApi"/>, which the Functions app serves too.</summary>
/// <remarks>
/// Every route under <c>/api/waves</c> needs the key (<see cref="ApiKeyFilter"/>); the shared layer reads bodies after the
/// key check and never beyond the size limit, which Kestrel's own limit (set to the same size) backs up.
/// </remarks>
internal static class WaveApi
{
    /// <summary>Maps <c>/api/health</c>, the <c>/api/waves</c> group and <c>/api/tickets</c>.</summary>
    public static IEndpointRouteBuilder MapWaveApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/health", () => new ApiResult(WaveHttpApi.Health()));

        var waves = app.MapGroup("/api/waves").AddEndpointFilter<RequestLogFilter>().AddEndpointFilter<ApiKeyFilter>();
        waves.MapPost("/", (HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.StartAsync(r, ct)));
        waves.MapGet("/", (HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.ListAsync(r, ct)));
        waves.MapGet("/{id}", (string id, HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.GetAsync(r, id, ct)));
        waves.MapGet("/{id}/databases", (string id, HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.DatabasesAsync(r, id, ct)));
        waves.MapGet("/{id}/databases/{database}/timeline", (string id, string database, HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.TimelineAsync(r, id, database, ct)));
        waves.MapGet("/{id}/timeline", (string id, HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.TimelineAsync(r, id, null, ct)));
        waves.MapDelete("/{id}", (string id, HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.PurgeAsync(r, id, ct)));
        waves.MapPost("/{id}/approve", (string id, HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.ApproveAsync(r, id, null, ct)));
        waves.MapPost("/{id}/approve/{database}", (string id, string database, HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.ApproveAsync(r, id, database, ct)));
        waves.MapPost("/{id}/retry/{database}", (string id, string database, HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.RetryAsync(r, id, database, ct)));
        waves.MapPost("/{id}/rollback", (string id, HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.RollbackAsync(r, id, ct)));
        waves.MapPost("/{id}/terminate", (string id, HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.TerminateAsync(r, id, ct)));
        waves.MapPost("/{id}/suspend", (string id, HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.SuspendAsync(r, id, ct)));
        waves.MapPost("/{id}/resume", (string id, HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.ResumeAsync(r, id, ct)));
        waves.MapPost("/{id}/raiseEvent/{eventName}", (string id, string eventName, HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.RaiseEventAsync(r, id, eventName, ct)));
        app.MapPost("/api/tickets", (HttpRequest request, WaveHttpApi api, CancellationToken ct) => RunAsync(request, r => api.TicketAsync(r, ct)))
            .AddEndpointFilter<RequestLogFilter>().AddEndpointFilter<ApiKeyFilter>();
        return app;
    }

    /// <summary>The shared layer's view of an ASP.NET Core request.</summary>
    internal static ApiRequest ToApiRequest(HttpRequest request) => new()
    {
        WavesUri = $"{request.Scheme}://{request.Host}{request.PathBase}/api/waves",
        Query = ApiRequest.QueryOf(request.Query.SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v)))),
        ContentType = request.ContentType,
        ContinuationToken = request.Headers[ApiResponse.ContinuationHeader].FirstOrDefault(),
        Body = request.Body,
        ContentLength = request.ContentLength,
        // What ASP.NET Core's problem details write as traceId.
        TraceId = Activity.Current?.Id ?? request.HttpContext.TraceIdentifier,
    };

    private static async Task<ApiResult> RunAsync(HttpRequest request, Func<ApiRequest, Task<ApiResponse>> route)
    {
        try
        {
            return new ApiResult(await route(ToApiRequest(request)).ConfigureAwait(false));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's limit, the same size as the layer's, can trip first while a chunked body is read.
            return new ApiResult(ApiResponse.Status(StatusCodes.Status413PayloadTooLarge));
        }
    }
}

/// <summary>Writes an <see cref="ApiResponse"/> of the shared layer to ASP.NET Core's response.</summary>
/// <param name="response">The answer to write.</param>
internal sealed class ApiResult(ApiResponse response) : IResult, IStatusCodeHttpResult
{
    /// <summary>Gets the answer this result writes.</summary>
    public ApiResponse Response { get; } = response;

    /// <inheritdoc/>
    public int? StatusCode => Response.StatusCode;

    /// <inheritdoc/>
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var http = httpContext.Response;
        http.StatusCode = Response.StatusCode;
        foreach (var (name, value) in Response.Headers)
        {
            http.Headers[name] = value;
        }

        if (Response.ContentType is { } contentType)
        {
            http.ContentType = contentType;
        }

        await Response.WriteBodyAsync(http.Body, httpContext.RequestAborted).ConfigureAwait(false);
    }
}

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
