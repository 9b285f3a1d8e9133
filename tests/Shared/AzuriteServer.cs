using System.Diagnostics;
using System.Text.RegularExpressions;

namespace DurableMigration.Testing;

/// <summary>A real Azurite (Azure Storage emulator) on loopback: the one <c>scripts/test.sh</c> started, or one of the fixture's own.</summary>
/// <remarks>
/// <c>scripts/test.sh</c> installs Azurite from <c>tools/azurite</c> and exports its connection string in
/// <see cref="ConnectionVariable"/>, so every test project shares one. Without it (a test run from an IDE), the fixture
/// starts its own in memory on free ports, and stops it when disposed.
/// </remarks>
public sealed partial class AzuriteServer : IAsyncDisposable
{
    /// <summary>The environment variable holding a running Azurite's connection string.</summary>
    public const string ConnectionVariable = "DMIG_TEST_AZURITE";

    /// <summary>Azurite's well-known development account and key (public, documented; not a secret).</summary>
    private const string DevelopmentAccount =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process? _process;

    private AzuriteServer(string connectionString, Process? process)
    {
        ConnectionString = connectionString;
        _process = process;
    }

    /// <summary>Gets the connection string of the account (blob, queue and table endpoints).</summary>
    public string ConnectionString { get; }

    /// <summary>Uses the Azurite named by <see cref="ConnectionVariable"/>, or starts one.</summary>
    public static async Task<AzuriteServer> StartAsync(CancellationToken cancellationToken = default)
    {
        if (Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } shared)
        {
            return new AzuriteServer(shared, null);
        }

        string root = RepositoryRoot();
        string executable = Path.Combine(root, "tools", "azurite", "node_modules", ".bin", "azurite");
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed at {executable}. Install it with `npm ci --prefix tools/azurite` (scripts/test.sh does), or set {ConnectionVariable} to a running Azurite's connection string.");
        }

        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            "--inMemoryPersistence", "--silent", "--skipApiVersionCheck", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", "0", "--queuePort", "0", "--tablePort", "0",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        var ports = new Dictionary<string, string>(StringComparer.Ordinal);
        var output = new List<string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            while (ports.Count < 3)
            {
                string? line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"Azurite exited before listening: {string.Join(Environment.NewLine, output)} {await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false)}");
                output.Add(line);
                if (Listening().Match(line) is { Success: true } match)
                {
                    ports[match.Groups["service"].Value] = match.Groups["port"].Value;
                }
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }

        // Keep draining its output so a full pipe never blocks it.
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        string connection = $"{DevelopmentAccount};BlobEndpoint=http://127.0.0.1:{ports["Blob"]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{ports["Queue"]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{ports["Table"]}/devstoreaccount1;";
        return new AzuriteServer(connection, process);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DurableMigration.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No DurableMigration.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at http://127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex Listening();
}
