using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace DurableMigration.Providers.Postgres;

/// <summary>Runs <c>pg_dump</c> and <c>pg_restore</c> with connection details in libpq's environment variables, never on the command line.</summary>
internal sealed partial class PgTools(string? directory, TimeSpan timeout)
{
    private static readonly string[] InheritedVariables = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ"];

    /// <summary>Gets the directory the tools are taken from, or <c>null</c> for the PATH.</summary>
    public string? Directory { get; } = directory ?? FindDirectory();

    /// <summary>The newest <c>/usr/lib/postgresql/*/bin</c> holding <c>pg_dump</c>, or <c>null</c>.</summary>
    public static string? FindDirectory()
    {
        const string root = "/usr/lib/postgresql";
        if (!System.IO.Directory.Exists(root))
        {
            return null;
        }

        return System.IO.Directory.GetDirectories(root)
            .Select(d => (Bin: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1))
            .Where(d => File.Exists(Path.Combine(d.Bin, "pg_dump")))
            .OrderByDescending(d => d.Version)
            .Select(d => d.Bin)
            .FirstOrDefault();
    }

    /// <summary>The major version of <c>pg_dump</c> (<c>pg_dump (PostgreSQL) 15.8</c> → 15), or <c>null</c> when it cannot run.</summary>
    public async Task<int?> DumpMajorVersionAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (exit, output, _) = await RunAsync("pg_dump", ["--version"], new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
            var match = VersionPattern().Match(output);
            return exit == 0 && match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Runs <paramref name="tool"/>; a non-zero exit fails with the first error line of its output, secrets removed, and <paramref name="advice"/> when retrying cannot help.</summary>
    public async Task RunCheckedAsync(string database, string what, string tool, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken, string? advice = null)
    {
        int exit;
        string error;
        try
        {
            (exit, _, error) = await RunAsync(tool, arguments, environment, cancellationToken).ConfigureAwait(false);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new PermanentDatabaseProviderException(database, $"Database '{database}': {what} failed: {tool} cannot be started from {Directory ?? "the PATH"}. Install PostgreSQL's client tools (Debian: postgresql-client) or set the provider's ToolsDirectory.");
        }

        if (exit == 0)
        {
            return;
        }

        string password = environment.TryGetValue("PGPASSWORD", out string? p) ? p : string.Empty;
        string summary = Summarize(error, password);
        string message = $"Database '{database}': {what} failed: {tool} exited with {exit.ToString(CultureInfo.InvariantCulture)}: {summary}";
        bool transient = error.Contains("connection to server", StringComparison.OrdinalIgnoreCase) || error.Contains("could not connect", StringComparison.OrdinalIgnoreCase)
            || error.Contains("the database system is", StringComparison.OrdinalIgnoreCase);
        throw transient
            ? new DatabaseProviderException(database, message + " The step is retryable.")
            : new PermanentDatabaseProviderException(database, advice is null ? message : message + ". " + advice);
    }

    /// <summary>The first line of <paramref name="stderr"/> that says "error" (else its first line), on one line, with <paramref name="password"/> removed and the count of further errors.</summary>
    public static string Summarize(string stderr, string password)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var errors = lines.Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).ToList();
        string first = errors.FirstOrDefault() ?? lines.FirstOrDefault() ?? "no error output";
        int index = Array.IndexOf(lines, first);
        // pg_restore prints the failing statement's context on the lines after the error ("Command was: ...").
        string context = index >= 0 && index + 1 < lines.Length && lines[index + 1].StartsWith("Command was:", StringComparison.Ordinal) ? " " + Truncate(lines[index + 1], 200) : string.Empty;
        string more = errors.Count > 1 ? $" (+{(errors.Count - 1).ToString(CultureInfo.InvariantCulture)} more)" : string.Empty;
        return PgErrors.Redact(Truncate(first, 400) + context + more, password);
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "...";

    private async Task<(int Exit, string Output, string Error)> RunAsync(string tool, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Directory is null ? tool : Path.Combine(Directory, tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only what the tools need: no inherited PG* variable may redirect them to another server.
        start.Environment.Clear();
        foreach (string name in InheritedVariables)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                start.Environment[name] = value;
            }
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync(timeoutSource.Token);
            Task<string> error = process.StandardError.ReadToEndAsync(timeoutSource.Token);
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
            return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new TimeoutException($"{tool} ran longer than {timeout}.");
        }
    }

    [GeneratedRegex(@"\) (\d+)")]
    private static partial Regex VersionPattern();
}
