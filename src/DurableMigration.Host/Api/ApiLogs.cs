using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Host.Api;

/// <summary>The wave API's log lines: one per request, with the route pattern and the wave, never the URL (it may carry <c>?code=</c>).</summary>
internal static partial class ApiLogs
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "HTTP {Method} {Route} wave {WaveId}: {StatusCode}")]
    public static partial void Request(ILogger logger, string method, string route, string waveId, int statusCode);
}

/// <summary>Logs each request of the wave API with its outcome; outermost, so refused keys are logged too.</summary>
internal sealed class RequestLogFilter(ILogger<RequestLogFilter> logger) : IEndpointFilter
{
    /// <inheritdoc/>
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        object? result = await next(context).ConfigureAwait(false);
        var http = context.HttpContext;
        int status = (result is INestedHttpResult nested ? nested.Result : result) is IStatusCodeHttpResult { StatusCode: { } code } ? code : http.Response.StatusCode;
        string route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "?";
        ApiLogs.Request(logger, http.Request.Method, route, http.Request.RouteValues["id"] as string ?? "-", status);
        return result;
    }
}
