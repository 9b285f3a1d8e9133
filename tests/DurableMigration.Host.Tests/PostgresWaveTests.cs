using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using DurableMigration.Application;
using DurableMigration.Host.Commands;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;
using Npgsql;

namespace DurableMigration.Host.Tests;

/// <summary>The two PostgreSQL clusters the PostgreSQL waves share.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresWaveCollection : ICollectionFixture<PostgresClusters>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "postgres waves";
}

/// <summary>Waves of PostgreSQL databases run by <c>dmig</c> on the embedded runtime, between two live clusters: offline, online, mixed with SQLite, blocked, drilled and killed.</summary>
[Collection(PostgresWaveCollection.Name)]
public sealed class PostgresWaveTests(PostgresClusters clusters)
{
    private const string Shop = """
        CREATE TYPE state AS ENUM ('new', 'paid');
        CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, joined timestamptz NOT NULL DEFAULT now());
        CREATE TABLE orders (id bigserial PRIMARY KEY, customer bigint NOT NULL REFERENCES customers, state state NOT NULL, total numeric(12,2) NOT NULL);
        CREATE INDEX orders_customer ON orders (customer);
        INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 500) g;
        INSERT INTO orders (customer, state, total) SELECT g % 500 + 1, 'new', g / 7.0 FROM generate_series(1, 3000) g;
        """;

    [Fact]
    public async Task MixedWave_SqliteAndPostgresWithADependencyAcrossEngines_MigratesBoth()
    {
        using var workspace = new WaveWorkspace();
        var shop = await CreateSourceAsync("mixed");
        string alpha = await WaveWorkspace.FingerprintAsync(workspace.SourcePath("alpha"));
        string manifest = WriteManifest(workspace, "mixed-wave", "offline", "auto",
            Sqlite(workspace, "alpha"),
            Postgres("shop", shop, dependsOn: ["alpha"]));

        var (exit, output) = await workspace.DmigAsync("run", manifest);

        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.Equal(3000L, await ScalarAsync<long>(shop.Target, "SELECT count(*) FROM orders"));
        Assert.Equal(alpha, await WaveWorkspace.FingerprintAsync(workspace.TargetPath("alpha")));
        var status = await workspace.DmigSplitAsync("status", "mixed-wave", "-o", "json");
        using var json = JsonDocument.Parse(status.Stdout);
        var databases = json.RootElement.GetProperty("output").GetProperty("databases").EnumerateArray().ToList();
        Assert.All(databases, d => Assert.Equal("Completed", d.GetProperty("state").GetString()));
        // shop started only once alpha had completed.
        DateTime alphaEnded = databases.Single(d => d.GetProperty("database").GetString() == "alpha").GetProperty("steps").EnumerateArray().Max(s => s.GetProperty("endedAt").GetDateTime());
        DateTime shopStarted = databases.Single(d => d.GetProperty("database").GetString() == "shop").GetProperty("steps").EnumerateArray().Min(s => s.GetProperty("startedAt").GetDateTime());
        Assert.True(shopStarted >= alphaEnded, $"shop started {shopStarted:O}, alpha ended {alphaEnded:O}");
        Assert.Equal("25006", await WriteErrorAsync(shop.Source));
    }

    [Fact]
    public async Task OnlineWave_WithWritesThroughoutTheSync_TargetHoldsEveryCommittedWriteAndLaterWritesFail()
    {
        using var workspace = new WaveWorkspace();
        var shop = await CreateSourceAsync("online");
        string manifest = WriteManifest(workspace, "online-wave", "online", "manual", Postgres("shop", shop));
        using var writer = new SourceWriter(shop.Source);

        using var run = workspace.Start(null, "run", manifest);
        await WaitAsync(workspace, "online-wave", view => view.StateOf("shop") == DatabaseState.AwaitingApproval, run);
        // The sync keeps the target up to date while the gate waits: let writes flow a little longer.
        long before = writer.Acknowledged;
        await writer.WaitForAsync(before + 200);
        var (approveExit, approveOutput) = await workspace.DmigAsync("approve", "online-wave", "shop");
        Assert.True(approveExit == DmigCommandLine.Success, approveOutput);
        var result = await run.ResultAsync();
        await writer.StopAsync();

        Assert.True(result.ExitCode == DmigCommandLine.Success, result.ToString());
        Assert.True(writer.Acknowledged > before + 200);
        Assert.True(writer.Refused > 0, "no write was refused once the source was blocked");
        var onTarget = await IdsAsync(shop.Target);
        Assert.Empty(writer.AcknowledgedIds.Except(onTarget));
        Assert.Equal("25006", await WriteErrorAsync(shop.Source));
        Assert.Equal(0L, await ScalarAsync<long>(shop.Source, "SELECT count(*) FROM pg_replication_slots"));
        Assert.Contains("writes blocked", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlineWave_WithATableWithoutKey_IsBlockedBeforeAnythingIsTouched()
    {
        using var workspace = new WaveWorkspace();
        var shop = await CreateSourceAsync("blocked", "CREATE TABLE audit (at timestamptz, line text); INSERT INTO audit VALUES (now(), 'x');");
        string manifest = WriteManifest(workspace, "blocked-wave", "online", "auto", Postgres("shop", shop));

        var (exit, output) = await workspace.DmigAsync("run", manifest);

        Assert.NotEqual(DmigCommandLine.Success, exit);
        Assert.Contains("audit", output, StringComparison.Ordinal);
        Assert.False(await DatabaseExistsAsync(shop.TargetDatabase));
        Assert.Equal(0L, await ScalarAsync<long>(shop.Source, "SELECT count(*) FROM pg_replication_slots"));
        Assert.Null(await WriteErrorAsync(shop.Source));
    }

    [Theory]
    [InlineData("migrate")]
    [InlineData("monitor")]
    [InlineData("cutover")]
    [InlineData("postValidate")]
    [InlineData("remediate")]
    public async Task OnlineDrill_AtEveryStep_LeavesTheSourceIntactAndWritableAndTheTargetDropped(string step)
    {
        using var workspace = new WaveWorkspace();
        var shop = await CreateSourceAsync("drill" + step.ToLowerInvariant());
        string wave = "drill-" + step.ToLowerInvariant();
        string manifest = WriteManifest(workspace, wave, "online", "auto", Postgres("shop", shop));
        string before = await FingerprintAsync(shop.Source);

        var (exit, output) = await workspace.DmigAsync("run", manifest, "--drill", $"shop:{step}");

        Assert.True(exit == DmigCommandLine.NotCompleted, output);
        Assert.Equal(before, await FingerprintAsync(shop.Source));
        Assert.Null(await WriteErrorAsync(shop.Source));
        Assert.False(await DatabaseExistsAsync(shop.TargetDatabase));
        Assert.Equal(0L, await ScalarAsync<long>(shop.Source, "SELECT count(*) FROM pg_replication_slots"));
        Assert.Equal(0L, await ScalarAsync<long>(shop.Source, "SELECT count(*) FROM pg_publication"));
    }

    [Fact]
    public async Task KilledDuringTheOnlineSync_TheNextRunResumesAndCompletes()
    {
        using var workspace = new WaveWorkspace();
        var shop = await CreateSourceAsync("killed");
        string manifest = WriteManifest(workspace, "killed-wave", "online", "manual", Postgres("shop", shop));
        using var writer = new SourceWriter(shop.Source);

        using (var victim = WaveWorkspace.StartDmigProcess("run", manifest, "--data-dir", workspace.DataDirectory))
        {
            await WaitAsync(workspace, "killed-wave", view => view.StateOf("shop") == DatabaseState.AwaitingApproval, null, victim);
            victim.Kill(entireProcessTree: true);
            await victim.WaitForExitAsync();
        }

        // Writes go on while no process runs the wave: the replication keeps them.
        await writer.WaitForAsync(writer.Acknowledged + 200);
        using var resumed = workspace.Start(null, "run", manifest);
        await WaitAsync(workspace, "killed-wave", view => view.StateOf("shop") == DatabaseState.AwaitingApproval, resumed);
        var (approveExit, approveOutput) = await workspace.DmigAsync("approve", "killed-wave", "shop");
        Assert.True(approveExit == DmigCommandLine.Success, approveOutput);
        var result = await resumed.ResultAsync();
        await writer.StopAsync();

        Assert.True(result.ExitCode == DmigCommandLine.Success, result.ToString());
        Assert.Contains("Resuming wave killed-wave", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.Empty(writer.AcknowledgedIds.Except(await IdsAsync(shop.Target)));
        Assert.Equal(0L, await ScalarAsync<long>(shop.Source, "SELECT count(*) FROM pg_replication_slots"));
    }

    private sealed record PgDatabase(string Source, string Target, string TargetDatabase);

    private async Task<PgDatabase> CreateSourceAsync(string prefix, string extra = "")
    {
        string name = clusters.NewDatabaseName(prefix);
        string source = await PostgresClusters.CreateDatabaseAsync(clusters.Source, name, Shop + extra);
        string targetDatabase = name + "_target";
        return new PgDatabase(source, clusters.Target.ConnectionString(targetDatabase), targetDatabase);
    }

    private static object Sqlite(WaveWorkspace workspace, string name) => new
    {
        name,
        source = new { engine = "sqlite", connection = $"Data Source={workspace.SourcePath(name)}" },
        target = new { engine = "sqlite", connection = $"Data Source={workspace.TargetPath(name)}" },
        dependsOn = Array.Empty<string>(),
    };

    private static object Postgres(string name, PgDatabase database, string[]? dependsOn = null) => new
    {
        name,
        source = new { engine = "postgresql", connection = database.Source },
        target = new { engine = "postgresql", connection = database.Target },
        dependsOn = dependsOn ?? [],
    };

    private static string WriteManifest(WaveWorkspace workspace, string wave, string mode, string approval, params object[] databases)
    {
        var manifest = new
        {
            wave,
            mode,
            maxParallel = 2,
            onFailure = "rollbackWave",
            cutover = new { approval, maxLagSeconds = 5 },
            databases,
        };
        string path = Path.Combine(workspace.Root, wave + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(manifest));
        return path;
    }

    private static async Task WaitAsync(WaveWorkspace workspace, string wave, Func<WaveView, bool> condition, BackgroundDmig? run, Process? process = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var host = DmigHost.Create(workspace.DataDirectory);
        while (true)
        {
            Assert.False(run?.Exit.IsCompleted ?? false, $"dmig exited before the wave reached the expected point: {run?.StdoutSoFar}{run?.StderrSoFar}");
            Assert.False(process?.HasExited ?? false, "dmig exited before the wave reached the expected point");
            var view = await WaveView.LoadAsync(host.Client, wave, timeout.Token);
            if (view is not null && condition(view))
            {
                return;
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    private async Task<bool> DatabaseExistsAsync(string database) =>
        await ScalarAsync<bool>(clusters.Target.ConnectionString(), $"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{database}')");

    private static async Task<T> ScalarAsync<T>(string connection, string sql)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Every row of every table, as text: equal fingerprints mean an untouched source.</summary>
    private static Task<string> FingerprintAsync(string connection) =>
        ScalarAsync<string>(connection, "SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM (SELECT c::text AS t FROM customers c UNION ALL SELECT o::text FROM orders o) x");

    private static async Task<HashSet<long>> IdsAsync(string connection)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM orders", db);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<long>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    /// <summary>Tries an insert on a new session; returns its SQLSTATE when refused, <c>null</c> when it worked (and undoes it).</summary>
    private static async Task<string?> WriteErrorAsync(string connection)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var transaction = await db.BeginTransactionAsync();
        try
        {
            await using var insert = new NpgsqlCommand("INSERT INTO customers (id, name) VALUES (-1, 'probe')", db, transaction);
            await insert.ExecuteNonQueryAsync();
            await transaction.RollbackAsync();
            return null;
        }
        catch (PostgresException e)
        {
            return e.SqlState;
        }
    }

    /// <summary>Inserts orders one by one on the source until stopped, reconnecting after errors; records the ids the server acknowledged.</summary>
    private sealed class SourceWriter : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly ConcurrentBag<long> _acknowledged = [];
        private long _refused;

        public SourceWriter(string connection) => _loop = Task.Run(() => RunAsync(connection));

        public long Acknowledged => _acknowledged.Count;

        public long Refused => Interlocked.Read(ref _refused);

        public IReadOnlyCollection<long> AcknowledgedIds => [.. _acknowledged];

        public async Task WaitForAsync(long acknowledged)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (Acknowledged < acknowledged)
            {
                Assert.False(_loop.IsCompleted, "the writer stopped");
                await Task.Delay(20, timeout.Token);
            }
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _loop;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }

        private async Task RunAsync(string connection)
        {
            NpgsqlConnection? db = null;
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    if (db is null)
                    {
                        db = new NpgsqlConnection(connection);
                        await db.OpenAsync();
                    }

                    await using var insert = new NpgsqlCommand("INSERT INTO orders (customer, state, total) VALUES (1, 'paid', 9.99) RETURNING id", db);
                    _acknowledged.Add((long)(await insert.ExecuteScalarAsync())!);
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
                {
                    // Blocked (read-only) or cut off: refused with an error, never silently lost.
                    Interlocked.Increment(ref _refused);
                    if (db is not null)
                    {
                        await db.DisposeAsync();
                        db = null;
                    }

                    await Task.Delay(20);
                }

                await Task.Delay(2);
            }

            if (db is not null)
            {
                await db.DisposeAsync();
            }
        }
    }
}
