using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DurableMigration.Manifest;

/// <summary>The kind of a value in a manifest document.</summary>
internal enum ManifestNodeKind
{
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
}

/// <summary>
/// One value of a manifest document, the same tree whether the text was JSON or YAML, so that every check and message is
/// the same for both.
/// </summary>
internal sealed class ManifestNode
{
    private ManifestNode(ManifestNodeKind kind) => Kind = kind;

    public ManifestNodeKind Kind { get; }

    /// <summary>Gets the text of a string, or a number as written.</summary>
    public string Text { get; private init; } = string.Empty;

    public bool Boolean { get; private init; }

    /// <summary>Gets an object's fields in document order, duplicates included (the reader reports them).</summary>
    public List<KeyValuePair<string, ManifestNode>> Fields { get; } = [];

    public List<ManifestNode> Items { get; } = [];

    /// <summary>Gets the kind's name as messages print it ("got string").</summary>
    public string KindName => Kind switch
    {
        ManifestNodeKind.Object => "object",
        ManifestNodeKind.Array => "array",
        ManifestNodeKind.String => "string",
        ManifestNodeKind.Number => "number",
        ManifestNodeKind.Boolean => "boolean",
        _ => "null",
    };

    public static ManifestNode NewObject() => new(ManifestNodeKind.Object);

    public static ManifestNode NewArray() => new(ManifestNodeKind.Array);

    public static ManifestNode NewString(string text) => new(ManifestNodeKind.String) { Text = text };

    public static ManifestNode NewNumber(string text) => new(ManifestNodeKind.Number) { Text = text };

    public static ManifestNode NewBoolean(bool value) => new(ManifestNodeKind.Boolean) { Boolean = value };

    public static ManifestNode NewNull() => new(ManifestNodeKind.Null);
}

/// <summary>Turns manifest text (JSON or YAML) into a <see cref="ManifestNode"/> tree, or a syntax error with its line and position.</summary>
internal static partial class ManifestSyntax
{
    private const string YamlStringTag = "tag:yaml.org,2002:str";

    public static bool IsJson(string text, string? fileName)
    {
        var extension = fileName is null ? string.Empty : Path.GetExtension(fileName);
        if (extension.Equals(".json", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || extension.Equals(".yml", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var first = text.AsSpan().TrimStart("\uFEFF \t\r\n");
        return first.Length > 0 && (first[0] == '{' || first[0] == '[');
    }

    public static ManifestNode? Parse(string text, bool json, out string? syntaxError) =>
        json ? ParseJson(text, out syntaxError) : ParseYaml(text, out syntaxError);

    private static ManifestNode? ParseJson(string text, out string? syntaxError)
    {
        var options = new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };
        try
        {
            using var document = JsonDocument.Parse(text, options);
            syntaxError = null;
            return FromJson(document.RootElement);
        }
        catch (JsonException exception)
        {
            var detail = exception.Message;
            var cut = detail.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut >= 0)
            {
                detail = detail[..cut];
            }

            syntaxError = exception.LineNumber is { } line
                ? string.Create(CultureInfo.InvariantCulture, $"malformed JSON at line {line + 1}, position {(exception.BytePositionInLine ?? 0) + 1}: {detail}")
                : $"malformed JSON: {detail}";
            return null;
        }
    }

    private static ManifestNode FromJson(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = ManifestNode.NewObject();
                foreach (var property in element.EnumerateObject())
                {
                    obj.Fields.Add(new(property.Name, FromJson(property.Value)));
                }

                return obj;
            case JsonValueKind.Array:
                var array = ManifestNode.NewArray();
                foreach (var item in element.EnumerateArray())
                {
                    array.Items.Add(FromJson(item));
                }

                return array;
            case JsonValueKind.String:
                return ManifestNode.NewString(element.GetString()!);
            case JsonValueKind.Number:
                return ManifestNode.NewNumber(element.GetRawText());
            case JsonValueKind.True:
                return ManifestNode.NewBoolean(true);
            case JsonValueKind.False:
                return ManifestNode.NewBoolean(false);
            default:
                return ManifestNode.NewNull();
        }
    }

    private static ManifestNode? ParseYaml(string text, out string? syntaxError)
    {
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, ManifestNode>(StringComparer.Ordinal);
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                syntaxError = "the manifest is empty";
                return null;
            }

            parser.Consume<DocumentStart>();
            var root = ReadYaml(parser, anchors);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
            {
                var next = parser.Current!.Start;
                syntaxError = string.Create(
                    CultureInfo.InvariantCulture,
                    $"malformed YAML at line {next.Line}, position {next.Column}: the text holds more than one YAML document; a manifest is one document");
                return null;
            }

            syntaxError = null;
            return root;
        }
        catch (YamlException exception)
        {
            var detail = exception.Message;
            var prefix = $"({exception.Start}) - ({exception.End}): ";
            if (detail.StartsWith(prefix, StringComparison.Ordinal))
            {
                detail = detail[prefix.Length..];
            }

            syntaxError = string.Create(CultureInfo.InvariantCulture, $"malformed YAML at line {exception.Start.Line}, position {exception.Start.Column}: {detail}");
            return null;
        }
    }

    private static ManifestNode ReadYaml(IParser parser, Dictionary<string, ManifestNode> anchors)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            return anchors.TryGetValue(alias.Value.Value, out var target)
                ? target
                : throw new YamlException(alias.Start, alias.End, $"the alias *{alias.Value.Value} names no anchor defined before it.");
        }

        ManifestNode node;
        NodeEvent start;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            start = scalar;
            node = FromYamlScalar(scalar);
        }
        else if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            start = sequenceStart;
            node = ManifestNode.NewArray();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                node.Items.Add(ReadYaml(parser, anchors));
            }
        }
        else
        {
            var mappingStart = parser.Consume<MappingStart>();
            start = mappingStart;
            node = ManifestNode.NewObject();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                if (!parser.TryConsume<Scalar>(out var key))
                {
                    var keyStart = parser.Current!.Start;
                    throw new YamlException(keyStart, parser.Current.End, "field names must be plain text, not lists or mappings.");
                }

                node.Fields.Add(new(key.Value, ReadYaml(parser, anchors)));
            }
        }

        if (!start.Anchor.IsEmpty)
        {
            anchors[start.Anchor.Value] = node;
        }

        return node;
    }

    /// <summary>Types a YAML scalar as the YAML 1.2 core schema does: quoted is a string; plain may be null, a boolean or a number.</summary>
    private static ManifestNode FromYamlScalar(Scalar scalar)
    {
        var value = scalar.Value;
        if (scalar.Style != ScalarStyle.Plain || (!scalar.Tag.IsEmpty && scalar.Tag.Value == YamlStringTag))
        {
            return ManifestNode.NewString(value);
        }

        return value switch
        {
            "" or "~" or "null" or "Null" or "NULL" => ManifestNode.NewNull(),
            "true" or "True" or "TRUE" => ManifestNode.NewBoolean(true),
            "false" or "False" or "FALSE" => ManifestNode.NewBoolean(false),
            _ when YamlNumber().IsMatch(value) => ManifestNode.NewNumber(value),
            _ => ManifestNode.NewString(value),
        };
    }

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex YamlNumber();
}
