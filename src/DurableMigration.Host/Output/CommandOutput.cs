using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableMigration.Host.Console;
using Spectre.Console;
using YamlDotNet.Serialization;

namespace DurableMigration.Host.Output;

/// <summary>
/// Where a command writes: its result on stdout, and in <c>json</c>/<c>yaml</c> mode everything else (progress, notices,
/// errors as problem details) on stderr, so a script can parse stdout whole.
/// </summary>
/// <remarks>Machine output is written by System.Text.Json (or YamlDotNet) straight to the stream, never through the
/// console renderer, which wraps long lines at the terminal's width.</remarks>
internal sealed class CommandOutput
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly ISerializer Yaml = new SerializerBuilder().WithQuotingNecessaryStrings().Build();

    private readonly IAnsiConsole _stdout;
    private readonly IAnsiConsole _stderr;

    public CommandOutput(OutputFormat format, IAnsiConsole stdout, IAnsiConsole stderr)
    {
        Format = format;
        _stdout = stdout;
        _stderr = stderr;
        Ui = new WaveConsole(Human);
    }

    /// <summary>Gets the output format.</summary>
    public OutputFormat Format { get; }

    /// <summary>Gets a value indicating whether stdout carries JSON or YAML only.</summary>
    public bool IsMachine => Format != OutputFormat.Table;

    /// <summary>Gets the console for people: progress and notices (stdout for tables, stderr otherwise).</summary>
    public IAnsiConsole Human => IsMachine ? _stderr : _stdout;

    /// <summary>Gets the wave renderer writing to <see cref="Human"/>.</summary>
    public WaveConsole Ui { get; }

    /// <summary>Prints a notice for people (Spectre markup).</summary>
    public void Notice(string markup) => Human.MarkupLine(markup);

    /// <summary>Prints a warning for people on stderr, whatever the format (markup-free text).</summary>
    public void Warn(string text) => _stderr.MarkupLine($"[yellow]{Markup.Escape(text)}[/]");

    /// <summary>Prints the result: <paramref name="table"/> renders it for people, <paramref name="data"/> is what scripts get.</summary>
    public void Result(Func<JsonNode?> data, Action<IAnsiConsole> table)
    {
        if (IsMachine)
        {
            WriteMachine(_stdout, data());
        }
        else
        {
            table(_stdout);
        }
    }

    /// <summary>
    /// Prints one item of a stream of results (<c>logs -f</c>): <paramref name="text"/> for people, else one compact JSON
    /// object per line (JSON Lines) or one YAML document per item, so a script can read items as they come.
    /// </summary>
    public void Stream(string text, Func<JsonNode?> data)
    {
        var writer = _stdout.Profile.Out.Writer;
        if (!IsMachine)
        {
            writer.WriteLine(text);
        }
        else if (Format == OutputFormat.Yaml)
        {
            writer.WriteLine("---");
            writer.WriteLine(Serialize(data()).TrimEnd('\n'));
        }
        else
        {
            writer.WriteLine(data()?.ToJsonString(Compact) ?? "null");
        }

        writer.Flush();
    }

    /// <summary>
    /// Reports a failure and returns <paramref name="exitCode"/>: a line on stderr for people, or RFC 9457 problem details
    /// (<c>type</c>, <c>title</c>, <c>detail</c>, <c>exitCode</c>, optional <c>errors</c>) on stderr for scripts.
    /// </summary>
    public int Fail(int exitCode, string title, string detail, IEnumerable<(string Path, string Message)>? errors = null)
    {
        var list = errors?.ToList() ?? [];
        if (IsMachine)
        {
            var problem = new JsonObject
            {
                ["type"] = ProblemType(exitCode),
                ["title"] = title,
                ["detail"] = detail,
                ["exitCode"] = exitCode,
            };
            if (list.Count > 0)
            {
                problem["errors"] = new JsonArray([.. list.Select(e => (JsonNode)new JsonObject { ["path"] = e.Path, ["message"] = e.Message })]);
            }

            WriteMachine(_stderr, problem);
            return exitCode;
        }

        _stderr.MarkupLine($"[red]{Markup.Escape(detail)}[/]");
        foreach (var (path, message) in list)
        {
            _stderr.MarkupLine($"  [red]{Markup.Escape(path)}[/]: {Markup.Escape(message)}");
        }

        return exitCode;
    }

    /// <summary>The problem type of an exit code (a URN: docs/cli.md, "Exit codes", says what each means).</summary>
    public static string ProblemType(int exitCode) => exitCode switch
    {
        1 => "urn:dmig:problem:not-completed",
        2 => "urn:dmig:problem:bad-input",
        3 => "urn:dmig:problem:needs-attention",
        130 => "urn:dmig:problem:interrupted",
        _ => "urn:dmig:problem:error",
    };

    /// <summary>Serializes <paramref name="node"/> as this output's format would (JSON or YAML text).</summary>
    public string Serialize(JsonNode? node) => Format == OutputFormat.Yaml
        ? Yaml.Serialize(ToPlain(node))
        : node?.ToJsonString(Indented) ?? "null";

    private void WriteMachine(IAnsiConsole console, JsonNode? node)
    {
        var writer = console.Profile.Out.Writer;
        writer.WriteLine(Serialize(node).TrimEnd('\n'));
        writer.Flush();
    }

    /// <summary>A JSON tree as dictionaries, lists and scalars, which YamlDotNet serializes.</summary>
    private static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => ToPlain(p.Value)),
        JsonArray a => a.Select(ToPlain).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => decimal.Parse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        },
        _ => null,
    };
}
