namespace DurableMigration.Host.Hosting;

/// <summary>Decides whether a line of dmig's log files concerns a wave (with its databases and rollback) or one database.</summary>
/// <remarks>
/// A line names its orchestration instance in two ways: the runtime's own lines say it in the message (<c>(wave:db)</c>,
/// <c>of wave:db)</c>), and lines written inside an activity carry <c>{instance wave:db}</c> from the logging scope.
/// Instance ids are matched as whole tokens (wave ids and database names are letters, digits, '.', '_', '-'), so wave
/// <c>w1</c> does not match <c>w10</c>. The timestamp is skipped: it contains ':' as instance ids do.
/// </remarks>
internal sealed class LogLineFilter(string waveId, string? instanceId)
{
    private static readonly char[] Separators = [.. Enumerable.Range(32, 95).Select(c => (char)c).Where(c => !char.IsAsciiLetterOrDigit(c) && c is not '.' and not '_' and not '-' and not ':'), '\t'];

    /// <summary>Gets what the filter selects, for people.</summary>
    public string Describe() => instanceId ?? $"wave {waveId}";

    /// <summary>Whether <paramref name="line"/> (one log line, not a continuation) concerns the wave or database.</summary>
    public bool Matches(string line)
    {
        int start = line.IndexOf(' ', StringComparison.Ordinal);
        if (start < 0)
        {
            return false;
        }

        foreach (string raw in line[(start + 1)..].Split(Separators, StringSplitOptions.RemoveEmptyEntries))
        {
            string token = raw.TrimEnd('.', ':');
            bool match = instanceId is null
                ? token == waveId || token.StartsWith(waveId + ":", StringComparison.Ordinal)
                : string.Equals(token, instanceId, StringComparison.OrdinalIgnoreCase);
            if (match)
            {
                return true;
            }
        }

        return false;
    }
}
