using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableMigration.Host.Commands;
using DurableMigration.Monitoring;
using DurableMigration.Providers.Monitoring;
using Microsoft.Data.Sqlite;
using Spectre.Console;

namespace DurableMigration.ScaleOut.Tests;

/// <summary>Real SQLite sources, a manifest, a task hub of its own on Azurite, <c>dmig worker</c> processes and in-process <c>dmig</c> commands.</summary>
internal sealed class ScaleOutWorkspace : IAsyncDisposable
{
    public const int RowsPerTable = 2_000;
    private readonly List<Process> _workers = [];
    private readonly string _connection;
    private readonly int _rowsPerTable;

    /// <summary>Creates the workspace; <paramref name="rowsPerTable"/> sets how long each copy takes.</summary>
    public ScaleOutWorkspace(string connection, string hub, int rowsPerTable = RowsPerTable)
    {
        _rowsPerTable = rowsPerTable;
        _connection = connection;
        Hub = hub;
        Root = Path.Combine(Path.GetTempPath(), "dmig-scaleout-tests", Guid.NewGuid().ToString("N")[..12]);
        SourceDirectory = Path.Combine(Root, "sources");
        TargetDirectory = Path.Combine(Root, "targets");
        DataDirectory = Path.Combine(Root, "data");
        Directory.CreateDirectory(SourceDirectory);
        Directory.CreateDirectory(TargetDirectory);
        foreach (string name in Databases)
        {
            CreateSource(name);
        }
    }

    public static IReadOnlyList<string> Databases { get; } = ["alpha", "beta", "gamma"];

    public string Hub { get; }

    public string Root { get; }

    public string SourceDirectory { get; }

    public string TargetDirectory { get; }

    public string DataDirectory { get; }

    public string SourcePath(string database) => Path.Combine(SourceDirectory, database + ".db");

    public string TargetPath(string database) => Path.Combine(TargetDirectory, database + ".db");

    /// <summary>The options that point a command at this workspace's task hub.</summary>
    public string[] Backend => ["--backend", "azure-storage", "--connection", _connection, "--hub", Hub, "--data-dir", DataDirectory];

    /// <summary>Writes a manifest of alpha, beta and gamma (gamma depends on both) and returns its path.</summary>
    public string WriteManifest(string wave, string approval = "auto", string onFailure = "rollbackWave")
    {
        object Database(string name, params string[] dependsOn) => new
        {
            name,
            source = new { engine = "sqlite", connection = $"Data Source={SourcePath(name)}" },
            target = new { engine = "sqlite", connection = $"Data Source={TargetPath(name)}" },
            dependsOn,
        };
        var manifest = new
        {
            wave,
            mode = "offline",
            maxParallel = 2,
            onFailure,
            cutover = new { approval },
            databases = new[] { Database("alpha"), Database("beta"), Database("gamma", "alpha", "beta") },
        };
        string path = Path.Combine(Root, wave + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    /// <summary>Starts <c>dmig worker</c> as a child process and waits until it takes work; its connection goes through the environment, not its arguments.</summary>
    public Task<Process> StartWorkerAsync(string workerId, params string[] extra) => StartWorkerAsync(workerId, "500ms", extra);

    /// <summary>Starts <c>dmig worker</c> polling an idle queue at most every <paramref name="pollingInterval"/>, and waits until it takes work.</summary>
    public async Task<Process> StartWorkerAsync(string workerId, string pollingInterval, params string[] extra)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dmig.dll"));
        foreach (string arg in (string[])["worker", "--backend", "azure-storage", "--hub", Hub, "--data-dir", DataDirectory, "--worker-id", workerId,
            "--polling-interval", pollingInterval, "--visibility-timeout", "15s", "--lease-interval", "9s", .. extra])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DMIG_STORAGE"] = _connection;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dmig worker");
        // The worker says so once it takes work: a test that needs every worker busy must not race their start-up.
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        DataReceivedEventHandler read = (_, e) =>
        {
            if (e.Data is { } line)
            {
                output.Enqueue(line);
                if (line.Contains($"Worker {workerId} on task hub", StringComparison.Ordinal))
                {
                    ready.TrySetResult();
                }
            }
        };
        process.OutputDataReceived += read;
        process.ErrorDataReceived += read;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _workers.Add(process);
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromMinutes(1))) != ready.Task)
        {
            throw new InvalidOperationException($"dmig worker {workerId} did not start: {string.Join(Environment.NewLine, output)}");
        }

        return process;
    }

    /// <summary>Runs <c>dmig</c> in-process against the task hub; returns the exit code, stdout and stderr.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> DmigAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        int exit = await DmigCommandLine.InvokeAsync([.. args, .. Backend], Console(stdout), Console(stderr), cancellationToken: timeout.Token);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Starts <c>dmig</c> in-process in the background against the task hub (<c>serve</c>); cancelling it is Ctrl+C.</summary>
    public static DurableMigration.Host.Tests.BackgroundDmig Start(string[] args)
    {
        var run = new DurableMigration.Host.Tests.BackgroundDmig();
        run.Exit = Task.Run(() => DmigCommandLine.InvokeAsync(
            args, DurableMigration.Host.Tests.WaveWorkspace.TestConsole(run.Stdout), DurableMigration.Host.Tests.WaveWorkspace.TestConsole(run.Stderr), cancellationToken: run.Cancellation.Token));
        return run;
    }

    /// <summary>Runs <c>dmig</c> in-process on the embedded runtime, in this workspace's data directory.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> EmbeddedDmigAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        int exit = await DmigCommandLine.InvokeAsync([.. args, "--data-dir", DataDirectory], Console(stdout), Console(stderr), cancellationToken: timeout.Token);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Polls the wave's status until <paramref name="condition"/> holds (2 minutes at most).</summary>
    public async Task<JsonNode> WaitForStatusAsync(string wave, Func<JsonNode, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var (exit, stdout, _) = await DmigAsync("status", wave, "-o", "json");
            if (exit == 0 && JsonNode.Parse(stdout) is { } status && condition(status))
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, $"wave {wave} never reached the state waited for; last status: {stdout}");
            await Task.Delay(500);
        }
    }

    /// <summary>Every line the workers logged (they share the data directory's log).</summary>
    /// <summary>The records of <paramref name="wave"/> in the data directory's <c>records.jsonl</c>, once one matches <paramref name="last"/> (the workers write in the background).</summary>
    public async Task<List<MigrationRecord>> RecordsOfAsync(string wave, Func<MigrationRecord, bool> last)
    {
        string path = Path.Combine(DataDirectory, "records.jsonl");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1)); // guards against a hang; no timing is asserted
        while (true)
        {
            List<MigrationRecord> records = File.Exists(path)
                ? [.. ReadShared(path).Split('\n').Where(l => l.EndsWith('}')).Select(MigrationRecordJson.Deserialize).Where(r => r.Wave == wave)]
                : [];
            if (records.Any(last))
            {
                return records;
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    public string WorkerLog() => string.Concat(Directory.GetFiles(Path.Combine(DataDirectory, "logs"), "dmig-*.log").Select(ReadShared));

    /// <summary>Row count and an order-independent digest of every user table of a database.</summary>
    public static Task<string> FingerprintAsync(string path) => DurableMigration.Host.Tests.WaveWorkspace.FingerprintAsync(path);

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            if (!worker.HasExited)
            {
                worker.Kill(entireProcessTree: true);
                await worker.WaitForExitAsync();
            }

            worker.Dispose();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static IAnsiConsole Console(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 200;
        return console;
    }

    private void CreateSource(string name)
    {
        using var connection = new SqliteConnection($"Data Source={SourcePath(name)};Pooling=False");
        connection.Open();
        using var tx = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount REAL, note TEXT);";
        command.ExecuteNonQuery();
        command.CommandText = "INSERT INTO items (name, amount, note) VALUES ($n, $a, $t)";
        var n = command.Parameters.Add("$n", SqliteType.Text);
        var a = command.Parameters.Add("$a", SqliteType.Real);
        var t = command.Parameters.Add("$t", SqliteType.Text);
        for (int i = 0; i < _rowsPerTable; i++)
        {
            n.Value = $"{name}-{i}";
            a.Value = i * 1.5;
            t.Value = i % 5 == 0 ? DBNull.Value : $"note {i}";
            command.ExecuteNonQuery();
        }

        tx.Commit();
    }
}
