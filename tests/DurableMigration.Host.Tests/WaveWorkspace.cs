using System.Text;
using System.Text.Json;
using DurableMigration.Host.Commands;
using Microsoft.Data.Sqlite;
using Spectre.Console;

namespace DurableMigration.Host.Tests;

/// <summary>A temporary folder with small real SQLite sources, a manifest writer, and the dmig command line run in-process.</summary>
internal sealed class WaveWorkspace : IDisposable
{
    public const int RowsPerTable = 300;

    public WaveWorkspace(string? secretMarker = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "dmig-host-tests", Guid.NewGuid().ToString("N")[..12]);
        // A marker in the folder name lets a test search everything dmig wrote for a resolved connection string.
        SourceDirectory = Path.Combine(Root, secretMarker ?? "sources");
        TargetDirectory = Path.Combine(Root, "targets");
        DataDirectory = Path.Combine(Root, "data");
        Directory.CreateDirectory(SourceDirectory);
        Directory.CreateDirectory(TargetDirectory);
        foreach (string name in new[] { "alpha", "beta", "gamma" })
        {
            CreateSource(name);
        }
    }

    public string Root { get; }

    public string SourceDirectory { get; }

    public string TargetDirectory { get; }

    public string DataDirectory { get; }

    public string SourcePath(string database) => Path.Combine(SourceDirectory, database + ".db");

    public string TargetPath(string database) => Path.Combine(TargetDirectory, database + ".db");

    /// <summary>Writes a manifest of alpha, beta and gamma (gamma depends on both) and returns its path.</summary>
    public string WriteManifest(
        string wave,
        string onFailure = "rollbackWave",
        string approval = "auto",
        Func<string, string>? sourceConnection = null,
        int operatorTimeoutMinutes = 60,
        string? webhook = null,
        int? maxDurationMinutes = null,
        (bool RowCounts, bool Checksums)? validation = null,
        Func<string, string?>? targetConnection = null)
    {
        object Database(string name, params string[] dependsOn) => new
        {
            name,
            source = new { engine = "sqlite", connection = sourceConnection?.Invoke(name) ?? $"Data Source={SourcePath(name)}" },
            target = new { engine = "sqlite", connection = targetConnection?.Invoke(name) ?? $"Data Source={TargetPath(name)}" },
            dependsOn,
            validation = validation is { } v ? new { rowCounts = v.RowCounts, checksums = v.Checksums } : null,
        };
        var manifest = new
        {
            wave,
            mode = "offline",
            maxParallel = 2,
            onFailure,
            operatorTimeoutMinutes,
            cutover = new { approval },
            alerts = new { webhook, maxDurationMinutes },
            databases = new[] { Database("alpha"), Database("beta"), Database("gamma", "alpha", "beta") },
        };
        string path = Path.Combine(Root, wave + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
        return path;
    }

    /// <summary>Runs <c>dmig</c> in-process with <c>--data-dir</c> set; returns the exit code and everything it printed (stdout and stderr).</summary>
    public Task<(int ExitCode, string Output)> DmigAsync(params string[] args) => DmigAsync(null, args);

    /// <summary>Runs <c>dmig</c> in-process with services replaced by <paramref name="configure"/>.</summary>
    public async Task<(int ExitCode, string Output)> DmigAsync(Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configure, params string[] args)
    {
        var output = new StringWriter();
        int exitCode = await InvokeAsync(output, output, configure, [.. args, "--data-dir", DataDirectory]);
        return (exitCode, output.ToString());
    }

    /// <summary>Runs <c>dmig</c> in-process with <c>--data-dir</c> set; returns the exit code, stdout and stderr apart.</summary>
    public Task<DmigRun> DmigSplitAsync(params string[] args) => DmigSplitAsync(null, args);

    /// <summary>Runs <c>dmig</c> in-process with services replaced by <paramref name="configure"/>; stdout and stderr apart.</summary>
    public async Task<DmigRun> DmigSplitAsync(Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configure, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exitCode = await InvokeAsync(stdout, stderr, configure, [.. args, "--data-dir", DataDirectory]);
        return new DmigRun(exitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Starts <c>dmig</c> in-process in the background with <c>--data-dir</c> set; its output can be read while it runs, and cancelling it is Ctrl+C.</summary>
    public BackgroundDmig Start(Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configure, params string[] args)
    {
        var run = new BackgroundDmig();
        run.Exit = Task.Run(() => DmigCommandLine.InvokeAsync(
            [.. args, "--data-dir", DataDirectory], TestConsole(run.Stdout), TestConsole(run.Stderr), configure, cancellationToken: run.Cancellation.Token));
        return run;
    }

    /// <summary>Starts <c>dmig</c> as a real process of its own (for drills that kill it), its output drained and discarded.</summary>
    public static System.Diagnostics.Process StartDmigProcess(params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dmig.dll"));
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("could not start dmig");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs <c>dmig</c> in-process exactly as given (no <c>--data-dir</c> added).</summary>
    public static async Task<DmigRun> DmigRawAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exitCode = await InvokeAsync(stdout, stderr, null, args);
        return new DmigRun(exitCode, stdout.ToString(), stderr.ToString());
    }

    private static async Task<int> InvokeAsync(StringWriter stdout, StringWriter stderr, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configure, string[] args)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        return await DmigCommandLine.InvokeAsync(args, TestConsole(stdout), TestConsole(stderr), configure, cancellationToken: timeout.Token);
    }

    public static IAnsiConsole TestConsole(TextWriter writer)
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

    /// <summary>Row count and an order-independent digest of every user table of a database.</summary>
    public static async Task<string> FingerprintAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_dmig%' ORDER BY name";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var fingerprint = new StringBuilder();
        foreach (string table in tables)
        {
            await using var rows = connection.CreateCommand();
            rows.CommandText = $"SELECT * FROM \"{table}\"";
            var lines = new List<string>();
            await using var reader = await rows.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                lines.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "∅" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
            }

            lines.Sort(StringComparer.Ordinal);
            fingerprint.Append(table).Append(':').Append(lines.Count).Append(':').Append(string.Join('\n', lines).GetHashCode(StringComparison.Ordinal)).Append(';');
        }

        return fingerprint.ToString();
    }

    /// <summary>Tries to write to the source; returns null when the write worked, else the error.</summary>
    public async Task<string?> TryWriteAsync(string database)
    {
        await using var connection = new SqliteConnection($"Data Source={SourcePath(database)};Pooling=False");
        await connection.OpenAsync();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO items (name, amount) VALUES ('probe', 1)";
        try
        {
            await command.ExecuteNonQueryAsync();
            return null;
        }
        catch (SqliteException ex)
        {
            return ex.Message;
        }
        finally
        {
            await transaction.RollbackAsync(); // probe only: leave the source as it was
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void CreateSource(string name)
    {
        using var connection = new SqliteConnection($"Data Source={SourcePath(name)};Pooling=False");
        connection.Open();
        using var tx = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = """
            CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount REAL, note TEXT, payload BLOB);
            CREATE INDEX ix_items_name ON items (name);
            CREATE TABLE audit (item_id INTEGER, at TEXT);
            CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN INSERT INTO audit VALUES (NEW.id, 'now'); END;
            CREATE VIEW big_items AS SELECT id, name FROM items WHERE amount > 100;
            """;
        command.ExecuteNonQuery();
        command.CommandText = "INSERT INTO items (name, amount, note, payload) VALUES ($n, $a, $t, $p)";
        var n = command.Parameters.Add("$n", SqliteType.Text);
        var a = command.Parameters.Add("$a", SqliteType.Real);
        var t = command.Parameters.Add("$t", SqliteType.Text);
        var p = command.Parameters.Add("$p", SqliteType.Blob);
        for (int i = 0; i < RowsPerTable; i++)
        {
            n.Value = $"{name}-{i}";
            a.Value = i * 1.5;
            t.Value = i % 5 == 0 ? DBNull.Value : $"note {i}";
            p.Value = i % 3 == 0 ? new byte[] { (byte)i, 1, 2 } : DBNull.Value;
            command.ExecuteNonQuery();
        }

        tx.Commit();
    }
}

/// <summary>One in-process <c>dmig</c> run: its exit code, stdout and stderr.</summary>
internal sealed record DmigRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>A <c>dmig</c> command running in-process in the background.</summary>
internal sealed class BackgroundDmig : IDisposable
{
    private readonly StringWriter _stdout = new();
    private readonly StringWriter _stderr = new();

    public BackgroundDmig()
    {
        Stdout = TextWriter.Synchronized(_stdout);
        Stderr = TextWriter.Synchronized(_stderr);
    }

    public TextWriter Stdout { get; }

    public TextWriter Stderr { get; }

    public CancellationTokenSource Cancellation { get; } = new(TimeSpan.FromMinutes(3));

    public Task<int> Exit { get; set; } = Task.FromResult(-1);

    /// <summary>Gets what it wrote to stderr so far (the synchronized writer locks on itself).</summary>
    public string StderrSoFar
    {
        get
        {
            lock (Stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Gets what it wrote to stdout so far.</summary>
    public string StdoutSoFar
    {
        get
        {
            lock (Stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Waits until stdout matches <paramref name="pattern"/> and returns the match, failing if the command ends first.</summary>
    public async Task<System.Text.RegularExpressions.Match> WaitForStdoutAsync(string pattern)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            var match = System.Text.RegularExpressions.Regex.Match(StdoutSoFar, pattern);
            if (match.Success)
            {
                return match;
            }

            if (Exit.IsCompleted)
            {
                Assert.Fail($"dmig ended before writing '{pattern}': {await ResultAsync()}");
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>Waits until stderr contains <paramref name="text"/>, failing if the command ends first.</summary>
    public async Task WaitForStderrAsync(string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (!StderrSoFar.Contains(text, StringComparison.Ordinal))
        {
            if (Exit.IsCompleted)
            {
                Assert.Fail($"dmig ended before writing '{text}': {await ResultAsync()}");
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>Waits for the command to end and returns its run.</summary>
    public async Task<DmigRun> ResultAsync()
    {
        int exit = await Exit;
        lock (Stdout)
        {
            lock (Stderr)
            {
                return new DmigRun(exit, _stdout.ToString(), _stderr.ToString());
            }
        }
    }

    public void Dispose() => Cancellation.Dispose();
}
