using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace DurableMigration.Testing;

/// <summary>A throwaway PostgreSQL cluster of Debian's <c>postgresql</c> package: <c>initdb</c> and <c>pg_ctl</c> in a temporary directory, on a free loopback port, with <c>wal_level=logical</c>.</summary>
/// <remarks>
/// <para><c>scripts/test.sh</c> installs the package when it is missing. Its binaries live in
/// <c>/usr/lib/postgresql/&lt;version&gt;/bin</c>, not on PATH; the newest version there is used (set
/// <see cref="BinariesVariable"/> to choose a directory). <c>initdb</c> and <c>postgres</c> refuse to run as root, so
/// as root the cluster belongs to the <c>postgres</c> user and every server command runs through <c>runuser</c>.</para>
/// <para>Durability is off (<c>fsync=off</c>, <c>full_page_writes=off</c>): a test cluster never outlives its run.
/// Authentication is <c>trust</c> on loopback, for the superuser <c>postgres</c>.</para>
/// </remarks>
public sealed class PostgresCluster : IAsyncDisposable
{
    /// <summary>An environment variable naming the directory of <c>initdb</c>, <c>pg_ctl</c> and <c>pg_dump</c>, when not the newest under <c>/usr/lib/postgresql</c>.</summary>
    public const string BinariesVariable = "DMIG_TEST_PG_BIN";

    /// <summary>The superuser every test connects as.</summary>
    public const string Superuser = "postgres";

    private readonly string _directory;
    private bool _stopped;

    private PostgresCluster(string binaries, string directory, int port)
    {
        Binaries = binaries;
        _directory = directory;
        Port = port;
    }

    /// <summary>Gets the directory of the server's binaries (<c>pg_dump</c>, <c>psql</c>, ...).</summary>
    public string Binaries { get; }

    /// <summary>Gets the loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>Gets the data directory.</summary>
    public string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>Gets a connection string for <paramref name="database"/> as the superuser (an Npgsql/libpq keyword string).</summary>
    public string ConnectionString(string database = "postgres") =>
        string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Username={Superuser};Database={database};Pooling=false");

    /// <summary>Finds the binaries, or throws saying how to install them.</summary>
    public static string FindBinaries()
    {
        if (Environment.GetEnvironmentVariable(BinariesVariable) is { Length: > 0 } chosen)
        {
            return chosen;
        }

        const string root = "/usr/lib/postgresql";
        var newest = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(d => (Directory: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1))
                .Where(d => File.Exists(Path.Combine(d.Directory, "initdb")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Directory)
                .FirstOrDefault()
            : null;
        return newest ?? throw new InvalidOperationException(
            $"PostgreSQL's server binaries were not found under {root}. Install Debian's package (`apt-get install postgresql`; scripts/test.sh does), or set {BinariesVariable} to the directory holding initdb and pg_ctl.");
    }

    /// <summary>Creates and starts a cluster; stop it with <see cref="DisposeAsync"/>.</summary>
    /// <param name="settings">Extra <c>postgresql.conf</c> lines.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<PostgresCluster> StartAsync(IEnumerable<string>? settings = null, CancellationToken cancellationToken = default)
    {
        string binaries = FindBinaries();
        // Short: the server's socket path must fit in 107 bytes.
        string directory = Directory.CreateTempSubdirectory("dmig-pg-").FullName;
        var cluster = new PostgresCluster(binaries, directory, FreePort());
        try
        {
            await cluster.InitializeAsync(settings ?? [], cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the server at once (as a crash would), keeping its files, so <see cref="RestartAsync"/> can start it again.</summary>
    public Task KillAsync(CancellationToken cancellationToken = default) =>
        RunAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], cancellationToken);

    /// <summary>Starts the server again after <see cref="KillAsync"/>.</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default) => StartServerAsync(cancellationToken);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Already stopped; the files go anyway.
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private async Task InitializeAsync(IEnumerable<string> settings, CancellationToken cancellationToken)
    {
        if (IsRoot)
        {
            // The server refuses root: the directory, and everything in it, belongs to postgres.
            await RunAsync("/usr/bin/chown", ["postgres:postgres", _directory], cancellationToken, asServer: false).ConfigureAwait(false);
        }

        await RunAsync("initdb", ["-D", DataDirectory, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], cancellationToken).ConfigureAwait(false);
        string[] lines =
        [
            "listen_addresses = '127.0.0.1'",
            $"port = {Port.ToString(CultureInfo.InvariantCulture)}",
            $"unix_socket_directories = '{_directory}'",
            "wal_level = logical",
            "max_replication_slots = 20",
            "max_wal_senders = 20",
            "max_logical_replication_workers = 16",
            "max_worker_processes = 24",
            "fsync = off",
            "full_page_writes = off",
            "synchronous_commit = off",
            // PostgreSQL 15's launcher starts apply workers at most once per interval (5 s by default) across all
            // subscriptions; tests create one after another.
            "wal_retrieve_retry_interval = 100ms",
            .. settings,
        ];
        // Appended by the server's own user: as root the file is postgres's.
        await File.AppendAllLinesAsync(Path.Combine(DataDirectory, "postgresql.conf"), lines, cancellationToken).ConfigureAwait(false);
        await StartServerAsync(cancellationToken).ConfigureAwait(false);
    }

    private Task StartServerAsync(CancellationToken cancellationToken) =>
        RunAsync("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(_directory, "server.log"), "-w", "-t", "60", "start"], cancellationToken);

    private async Task RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool asServer = true)
    {
        string executable = program.StartsWith('/') ? program : Path.Combine(Binaries, program);
        var start = IsRoot && asServer ? new ProcessStartInfo("/usr/sbin/runuser") : new ProcessStartInfo(executable);
        if (IsRoot && asServer)
        {
            foreach (string argument in new[] { "-u", "postgres", "--", executable })
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // From "/": the postgres user may not be able to read the test's working directory.
        start.WorkingDirectory = "/";
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            string log = Path.Combine(_directory, "server.log");
            string serverLog = program == "pg_ctl" && File.Exists(log) ? $" Server log: {await File.ReadAllTextAsync(log, cancellationToken).ConfigureAwait(false)}" : string.Empty;
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error.ConfigureAwait(false)}{await output.ConfigureAwait(false)}{serverLog}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
