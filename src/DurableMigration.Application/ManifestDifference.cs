using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableMigration.Manifest;

namespace DurableMigration.Application;

/// <summary>Where a manifest differs from the one a wave started with, as paths and values (<c>databases[1].target.connection: "a" → "b"</c>).</summary>
/// <remarks>
/// Compares the checked models, not the files, so formatting, key order, YAML against JSON and spelled-out defaults
/// do not count. Connections are compared as written (references such as <c>env:NAME</c> or literals without
/// credentials, which the manifest rules require); nothing is resolved, so no secret can be printed.
/// </remarks>
public static class ManifestDifference
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The differences from <paramref name="started"/> (stored in the wave's input) to <paramref name="given"/>; empty when they are the same.</summary>
    public static IReadOnlyList<ManifestError> Between(WaveManifest started, WaveManifest given)
    {
        var differences = new List<ManifestError>();
        Compare(string.Empty, JsonSerializer.SerializeToNode(started, WaveJson.Options), JsonSerializer.SerializeToNode(given, WaveJson.Options), differences);
        return differences;
    }

    private static void Compare(string path, JsonNode? before, JsonNode? after, List<ManifestError> differences)
    {
        switch (before, after)
        {
            case (JsonObject a, JsonObject b):
                foreach (string key in a.Select(p => p.Key).Union(b.Select(p => p.Key), StringComparer.Ordinal))
                {
                    Compare(path.Length == 0 ? key : $"{path}.{key}", a[key], b[key], differences);
                }

                break;
            case (JsonArray a, JsonArray b):
                for (int i = 0; i < Math.Max(a.Count, b.Count); i++)
                {
                    Compare(string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), i < a.Count ? a[i] : null, i < b.Count ? b[i] : null, differences);
                }

                break;
            default:
                if (!JsonNode.DeepEquals(before, after))
                {
                    differences.Add(new ManifestError(path, $"{Show(before)} → {Show(after)}"));
                }

                break;
        }
    }

    private static string Show(JsonNode? node) => node is null ? "(none)" : node.ToJsonString(Compact);
}
