using System.Text.Json;

namespace DurableMigration.Infra.Tests;

/// <summary>Reads compiled ARM templates and deployment snapshots.</summary>
internal static class ArmJson
{
    /// <summary>Every resource a compiled template declares, those of its modules' nested templates included.</summary>
    /// <remarks>Language version 2.0 keeps resources in an object keyed by symbolic name; 1.0 in an array.</remarks>
    public static IEnumerable<JsonElement> Resources(JsonElement template)
    {
        if (!template.TryGetProperty("resources", out JsonElement resources))
        {
            yield break;
        }

        IEnumerable<JsonElement> items = resources.ValueKind == JsonValueKind.Object
            ? resources.EnumerateObject().Select(p => p.Value)
            : resources.EnumerateArray();
        foreach (JsonElement resource in items)
        {
            yield return resource;
            if (Type(resource) == "Microsoft.Resources/deployments"
                && resource.TryGetProperty("properties", out JsonElement properties)
                && properties.TryGetProperty("template", out JsonElement nested))
            {
                foreach (JsonElement inner in Resources(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>The resources of <paramref name="type"/> the template deploys (references to existing resources left out).</summary>
    public static IReadOnlyList<JsonElement> Deployed(JsonElement template, string type) =>
        [.. Resources(template).Where(r => Type(r) == type && !IsExisting(r))];

    /// <summary>The resource's type.</summary>
    public static string Type(JsonElement resource) => resource.GetProperty("type").GetString()!;

    /// <summary>Whether the resource only references one that exists already.</summary>
    public static bool IsExisting(JsonElement resource) =>
        resource.TryGetProperty("existing", out JsonElement existing) && existing.ValueKind == JsonValueKind.True;

    /// <summary>The string at a dotted path of properties, or null when a step is missing.</summary>
    public static string? At(JsonElement element, string path)
    {
        JsonElement current = element;
        foreach (string step in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(step, out current))
            {
                return null;
            }
        }

        return current.ValueKind switch
        {
            JsonValueKind.String => current.GetString(),
            JsonValueKind.Undefined or JsonValueKind.Null => null,
            _ => current.GetRawText(),
        };
    }
}
