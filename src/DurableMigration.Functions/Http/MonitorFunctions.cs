using System.Net;
using DurableMigration.Application.Monitor;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace DurableMigration.Functions.Http;

/// <summary>The wave monitor in the Functions app: the same page as <c>dmig serve</c>'s, at <c>/api/monitor</c>, over the app's own wave API.</summary>
/// <remarks>Anonymous, as in <c>dmig serve</c>: the page holds no data and calls the API with the function key the operator enters.</remarks>
public static class MonitorFunctions
{
    /// <summary><c>GET /api/monitor</c> (the page) and <c>GET /api/monitor/{file}</c> (its script and stylesheet, which the page names relatively).</summary>
    [Function("Monitor")]
    public static Task<HttpResponseData> Monitor(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "monitor/{file?}")] HttpRequestData request,
        string? file)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ServeAsync(request, string.IsNullOrEmpty(file) ? MonitorAssets.Page : file);
    }

    private static async Task<HttpResponseData> ServeAsync(HttpRequestData request, string file)
    {
        if (!MonitorAssets.TryGet(file, out var asset))
        {
            return request.CreateResponse(HttpStatusCode.NotFound);
        }

        bool unchanged = request.Headers.TryGetValues("If-None-Match", out var tags) && tags.Any(t => t.Contains(asset.ETag, StringComparison.Ordinal));
        var response = request.CreateResponse(unchanged ? HttpStatusCode.NotModified : HttpStatusCode.OK);
        foreach (var (name, value) in MonitorAssets.Headers)
        {
            response.Headers.Add(name, value);
        }

        response.Headers.Add("ETag", asset.ETag);
        if (!unchanged)
        {
            response.Headers.Add("Content-Type", asset.ContentType);
            await response.Body.WriteAsync(asset.Content, request.FunctionContext.CancellationToken).ConfigureAwait(false);
        }

        return response;
    }
}
