using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DurableMigration.Host.Hosting;

/// <summary>Reads the <c>dmig-*.log</c> files of a logs folder incrementally, keeping the lines a <see cref="LogLineFilter"/> selects.</summary>
/// <remarks>
/// Each call returns only what was written since the previous one (per-file offsets), so following is a loop of calls.
/// A partial last line is left for the next call; an exception's continuation lines go with the line they follow.
/// </remarks>
internal sealed class LogDirectoryReader(string directory, LogLineFilter filter)
{
    private readonly Dictionary<string, long> _offsets = new(StringComparer.Ordinal);
    private bool _lastMatched;

    /// <summary>The selected lines written since the last call, oldest first.</summary>
    public async Task<List<LogLine>> ReadNewAsync(CancellationToken cancellationToken = default)
    {
        var lines = new List<LogLine>();
        if (!Directory.Exists(directory))
        {
            return lines;
        }

        // File names carry the UTC day (dmig-yyyyMMdd.log), so name order is time order.
        foreach (string path in Directory.GetFiles(directory, "dmig-*.log").Order(StringComparer.Ordinal))
        {
            long offset = _offsets.GetValueOrDefault(path);
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            await using (stream.ConfigureAwait(false))
            {
                if (stream.Length <= offset)
                {
                    continue;
                }

                stream.Position = offset;
                byte[] buffer = new byte[stream.Length - offset];
                await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
                int complete = Array.LastIndexOf(buffer, (byte)'\n') + 1;
                _offsets[path] = offset + complete;
                foreach (string text in Encoding.UTF8.GetString(buffer, 0, complete).Split('\n'))
                {
                    string line = text.TrimEnd('\r');
                    if (line.Length == 0)
                    {
                        continue;
                    }

                    // Continuation lines (an exception under its line) are indented.
                    bool continuation = char.IsWhiteSpace(line[0]);
                    _lastMatched = continuation ? _lastMatched : filter.Matches(line);
                    if (_lastMatched)
                    {
                        lines.Add(new LogLine(line));
                    }
                }
            }
        }

        return lines;
    }
}

/// <summary>One line of a dmig log file.</summary>
/// <param name="Text">The line as written.</param>
internal sealed partial record LogLine(string Text)
{
    /// <summary>The line's fields for scripts: timestamp, level, category, eventId, instance (when scoped) and message.</summary>
    public JsonObject ToJson()
    {
        var match = Format().Match(Text);
        if (!match.Success)
        {
            return new JsonObject { ["message"] = Text };
        }

        var json = new JsonObject
        {
            ["timestamp"] = match.Groups["time"].Value,
            ["level"] = match.Groups["level"].Value,
            ["category"] = match.Groups["category"].Value,
            ["eventId"] = int.Parse(match.Groups["id"].Value, CultureInfo.InvariantCulture),
        };
        if (match.Groups["instance"].Success)
        {
            json["instance"] = match.Groups["instance"].Value;
        }

        json["message"] = match.Groups["message"].Value;
        return json;
    }

    [GeneratedRegex(@"^(?<time>\S+) (?<level>\S+)\s+(?<category>[^\s\[]+)\[(?<id>-?\d+)\](?: \{instance (?<instance>[^}]+)\})? (?<message>.*)$")]
    private static partial Regex Format();
}
