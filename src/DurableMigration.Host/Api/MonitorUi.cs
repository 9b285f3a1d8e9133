using DurableMigration.Application.Monitor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DurableMigration.Host.Api;

/// <summary>The wave monitor's page (<c>/</c>) and its script and stylesheet (<c>/monitor/…</c>) in <c>dmig serve</c>; the files are <see cref="MonitorAssets"/>.</summary>
/// <remarks>
/// The page holds no data: it reads and acts through the wave API with the key the operator enters, so its files are
/// served without a key. Everything is local (no CDN: these machines are offline), and a strict Content-Security-Policy
/// allows only this origin's script, style and API, so nothing injected into a page (a database name, a message) runs.
/// </remarks>
internal static class MonitorUi
{
    /// <summary>Maps <c>GET /</c> (the page) and <c>GET /monitor/{file}</c> (its assets).</summary>
    public static IEndpointRouteBuilder MapMonitor(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context) => Serve(context, MonitorAssets.Page));
        app.MapGet("/monitor/{file}", (string file, HttpContext context) => Serve(context, file));
        return app;
    }

    private static IResult Serve(HttpContext context, string file)
    {
        if (!MonitorAssets.TryGet(file, out var asset))
        {
            return TypedResults.NotFound();
        }

        var headers = context.Response.Headers;
        foreach (var (name, value) in MonitorAssets.Headers)
        {
            headers[name] = value;
        }

        headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }
}
