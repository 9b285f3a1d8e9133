using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace DurableMigration.Application.Monitor;

/// <summary>The wave monitor's files (page, script, stylesheet), embedded once and served by every host: <c>dmig serve</c> at <c>/</c>, the Functions app at <c>/api/monitor</c>.</summary>
/// <remarks>
/// The page holds no data: it reads and acts through the wave API with the key the operator enters, so hosts serve these
/// files without a key. Everything is local (no CDN: these machines are offline), and <see cref="ContentSecurityPolicy"/>
/// allows only the page's own origin, so nothing injected into a page (a database name, a message) runs. The page finds
/// its assets by relative paths (<c>monitor/…</c>) and the API under <c>/api</c>, which both hosts share.
/// </remarks>
public static class MonitorAssets
{
    /// <summary>The page's file name.</summary>
    public const string Page = "index.html";

    /// <summary>Only this origin's files and API; no inline script, no framing, no forms posting elsewhere.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The headers every monitor file is served with: the policy, no sniffing, no referrer, revalidated on every load (the ETag makes that cheap).</summary>
    public static IReadOnlyDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Content-Security-Policy"] = ContentSecurityPolicy,
        ["X-Content-Type-Options"] = "nosniff",
        ["Referrer-Policy"] = "no-referrer",
        ["Cache-Control"] = "no-cache",
    };

    private static readonly Lazy<FrozenDictionary<string, MonitorAsset>> Assets = new(Load);

    /// <summary>Finds a file by name (<c>index.html</c>, <c>monitor.js</c>, <c>monitor.css</c>); only these exist.</summary>
    public static bool TryGet(string file, [NotNullWhen(true)] out MonitorAsset? asset) => Assets.Value.TryGetValue(file ?? string.Empty, out asset);

    private static FrozenDictionary<string, MonitorAsset> Load()
    {
        const string prefix = "DurableMigration.Monitor.";
        var assembly = typeof(MonitorAssets).Assembly;
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
}

/// <summary>One monitor file: its bytes, media type and entity tag.</summary>
/// <param name="Content">The file's bytes.</param>
/// <param name="ContentType">Its media type.</param>
/// <param name="ETag">Its entity tag, a hash of the bytes.</param>
public sealed record MonitorAsset(byte[] Content, string ContentType, string ETag);
