using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DurableMigration.Host.Api;

/// <summary>The wave monitor's page (<c>/</c>) and its script and stylesheet (<c>/monitor/…</c>), embedded in <c>dmig</c>.</summary>
/// <remarks>
/// The page holds no data: it reads and acts through the wave API with the key the operator enters, so its files are
/// served without a key. Everything is local (no CDN: these machines are offline), and a strict Content-Security-Policy
/// allows only this origin's script, style and API, so nothing injected into a page (a database name, a message) runs.
/// </remarks>
internal static class MonitorUi
{
    /// <summary>Only this origin's files and API; no inline script, no framing, no forms posting elsewhere.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly Lazy<FrozenDictionary<string, MonitorAsset>> Assets = new(Load);

    /// <summary>Maps <c>GET /</c> (the page) and <c>GET /monitor/{file}</c> (its assets).</summary>
    public static IEndpointRouteBuilder MapMonitor(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context) => Serve(context, "index.html"));
        app.MapGet("/monitor/{file}", (string file, HttpContext context) => Serve(context, file));
        return app;
    }

    private static IResult Serve(HttpContext context, string file)
    {
        if (!Assets.Value.TryGetValue(file, out var asset))
        {
            return TypedResults.NotFound();
        }

        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        // Revalidated on every load, so a new dmig serves its new page at once; the ETag makes that cheap.
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }

    private static FrozenDictionary<string, MonitorAsset> Load()
    {
        const string prefix = "DurableMigration.Host.Monitor.";
        var assembly = typeof(MonitorUi).Assembly;
        var assets = new Dictionary<string, MonitorAsset>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            byte[] content = buffer.ToArray();
            string file = name[prefix.Length..];
            string type = Path.GetExtension(file) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            assets[file] = new MonitorAsset(content, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>One embedded file: its bytes, media type and entity tag.</summary>
    private sealed record MonitorAsset(byte[] Content, string ContentType, string ETag);
}
