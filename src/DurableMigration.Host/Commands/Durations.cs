using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace DurableMigration.Host.Commands;

/// <summary>Durations on the command line: <c>500ms</c>, <c>30s</c>, <c>10m</c>, <c>2h</c>, <c>1d</c>, or a TimeSpan such as <c>00:10:00</c>.</summary>
internal static class Durations
{
    /// <summary>An option taking a positive duration; a bad value is an argument error (exit 2).</summary>
    public static Option<TimeSpan?> Option(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = Parse,
        HelpName = "duration",
    };

    public static bool TryParse(string text, out TimeSpan duration)
    {
        text = text.Trim();
        (string unit, double scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)];
        foreach (var (unit, scale) in units)
        {
            if (text.EndsWith(unit, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^unit.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                && !(unit == "s" && text.EndsWith("ms", StringComparison.OrdinalIgnoreCase)))
            {
                duration = TimeSpan.FromSeconds(value * scale);
                return duration > TimeSpan.Zero;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration > TimeSpan.Zero;
    }

    private static TimeSpan? Parse(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (TryParse(text, out var duration))
        {
            return duration;
        }

        result.AddError($"'{text}' is not a duration: use e.g. 30s, 10m, 2h, 1d or 00:10:00.");
        return null;
    }
}
