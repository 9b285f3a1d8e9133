using System.Diagnostics;
using System.Globalization;
using DurableMigration.Manifest;
using DurableMigration.Providers;
using DurableMigration.Providers.Postgres;
using DurableMigration.Testing;
using Npgsql;

namespace DurableMigration.Bench;

/// <summary>
/// PostgreSQL benchmarks between two local throwaway clusters: the provider's offline copy (schema, parallel binary
/// COPY, indexes after the data, post-validation) against <c>pg_dump -Fc | pg_restore</c> and against
/// <c>pg_dump -Fd -j N</c> / <c>pg_restore -j N</c> at the provider's parallelism, all in the same run on the same data;
/// and the write-blocked window of an online cutover under a steady write load.
/// </summary>
/// <remarks>
/// The clusters run with <c>fsync=off</c> (as in the tests), for every contender alike. The generated database has
/// several tables of mixed types, one of them over half the total size.
/// </remarks>
internal static class PostgresBenchmark
{
    private const int Parallelism = 4;

    public static async Task RunAsync(bool quick)
    {
        long targetBytes = quick ? 200L << 20 : 2L << 30;
        Console.WriteLine($"postgres benchmark ({(quick ? "quick" : "full")}): {Environment.ProcessorCount} cores; a generated database of about {targetBytes >> 20} MiB; parallelism {Parallelism}");
        await using var source = await PostgresCluster.StartAsync(["shared_buffers = 256MB", "max_wal_size = 8GB", "checkpoint_timeout = 30min"]);
        await using var target = await PostgresCluster.StartAsync(["shared_buffers = 256MB", "max_wal_size = 8GB", "checkpoint_timeout = 30min"]);
        string sourceConnection = await CreateDatabaseAsync(source, "bench_src");
        var generate = Stopwatch.StartNew();
        long size = await GenerateAsync(sourceConnection, targetBytes);
        Console.WriteLine($"  generated {size >> 20} MiB in {generate.Elapsed.TotalSeconds:F1} s");
        double mib = size / (1024.0 * 1024.0);

        // pg_dump -Fc | pg_restore (compression on, as its default).
        string fcTarget = await CreateDatabaseAsync(target, "bench_fc");
        double fcSeconds = await TimeAsync(() => RunShellAsync(
            $"'{source.Binaries}/pg_dump' -Fc -h 127.0.0.1 -p {source.Port} -U postgres bench_src | '{target.Binaries}/pg_restore' -h 127.0.0.1 -p {target.Port} -U postgres -d bench_fc"));
        Console.WriteLine($"  pg_dump -Fc | pg_restore: {fcSeconds:F2} s ({mib / fcSeconds:F0} MiB/s)");
        await DropDatabaseAsync(target, "bench_fc", fcTarget);

        // pg_dump -Fd -j N, then pg_restore -j N.
        string directory = Path.Combine(Path.GetTempPath(), "dmig-bench-pg-" + Guid.NewGuid().ToString("N")[..8]);
        string fdTarget = await CreateDatabaseAsync(target, "bench_fd");
        double fdSeconds = await TimeAsync(async () =>
        {
            await RunShellAsync($"'{source.Binaries}/pg_dump' -Fd -j {Parallelism} -h 127.0.0.1 -p {source.Port} -U postgres -f '{directory}' bench_src");
            await RunShellAsync($"'{target.Binaries}/pg_restore' -j {Parallelism} -h 127.0.0.1 -p {target.Port} -U postgres -d bench_fd '{directory}'");
        });
        Directory.Delete(directory, recursive: true);
        Console.WriteLine($"  pg_dump -Fd -j {Parallelism} / pg_restore -j {Parallelism}: {fdSeconds:F2} s ({mib / fdSeconds:F0} MiB/s)");
        await DropDatabaseAsync(target, "bench_fd", fdTarget);

        // The provider: schema, data, indexes, then post-validation (row counts and checksums on both sides).
        var provider = new PostgresDatabaseProvider(options: new PostgresProviderOptions { ParallelTables = Parallelism, ToolsDirectory = source.Binaries });
        var endpoints = new MigrationEndpoints("bench", sourceConnection, target.ConnectionString("bench_ours"), null);
        var reports = 0;
        var copyTimer = Stopwatch.StartNew();
        await provider.CopySchemaAsync(endpoints);
        await provider.CopyDataAsync(endpoints, new CountingProgress(() => reports++));
        double copySeconds = copyTimer.Elapsed.TotalSeconds;
        ValidationReport validation = await provider.ValidateAsync(endpoints, new ValidationOptions(true, true));
        double oursSeconds = copyTimer.Elapsed.TotalSeconds;
        if (!validation.Passed)
        {
            throw new InvalidOperationException($"post-validation failed: {validation.Summary}");
        }

        Console.WriteLine($"  provider: copy {copySeconds:F2} s, with post-validation {oursSeconds:F2} s ({mib / oursSeconds:F0} MiB/s, {reports} progress reports); {validation.Summary}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT pg_copy {mib / oursSeconds:F1} MB/s vs_pg_dump_fc={fcSeconds / oursSeconds:F2} vs_pg_dump_fd={fdSeconds / oursSeconds:F2} copy_only_s={copySeconds:F2} validated_s={oursSeconds:F2} pg_dump_fc_s={fcSeconds:F2} pg_dump_fd_s={fdSeconds:F2}"));
        await provider.DropTargetAsync(endpoints);

        await MeasureCutoverAsync(provider, source, target, quick);
    }

    /// <summary>Online: replication under a steady write load, then the write-blocked window of cutover (read-only source → final sync done).</summary>
    private static async Task MeasureCutoverAsync(PostgresDatabaseProvider provider, PostgresCluster source, PostgresCluster target, bool quick)
    {
        string sourceConnection = await CreateDatabaseAsync(source, "bench_online");
        await ExecuteAsync(sourceConnection, """
            CREATE TABLE accounts (id bigint PRIMARY KEY, balance numeric(18,2) NOT NULL, updated timestamptz NOT NULL DEFAULT now());
            INSERT INTO accounts SELECT g, g * 1.5, now() FROM generate_series(1, 200000) g;
            CREATE TABLE writes (id bigserial PRIMARY KEY, account bigint NOT NULL, amount numeric(18,2) NOT NULL, at timestamptz NOT NULL DEFAULT now());
            """);
        var endpoints = new MigrationEndpoints("online", sourceConnection, target.ConnectionString("bench_online_target"), null) { Mode = MigrationMode.Online };
        await provider.CopySchemaAsync(endpoints);
        await provider.StartReplicationAsync(endpoints, new CountingProgress(() => { }));

        using var stop = new CancellationTokenSource();
        var writer = new SteadyWriter(sourceConnection, writesPerSecond: 1000);
        Task writing = writer.RunAsync(stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(quick ? 3 : 10));
        ReplicationStatus before = await provider.GetReplicationStatusAsync(endpoints);

        var blocked = Stopwatch.StartNew();
        await provider.MakeSourceReadOnlyAsync(endpoints);
        ChangeSyncResult final = await provider.SyncChangesAsync(endpoints);
        double blockedMs = blocked.Elapsed.TotalMilliseconds;
        await stop.CancelAsync();
        await writing;

        long onTarget = await CountAsync(target.ConnectionString("bench_online_target"), "SELECT count(*) FROM writes");
        Console.WriteLine($"  online cutover under {writer.AchievedRate:F0} writes/s ({writer.Acknowledged} acknowledged, {writer.Refused} refused once read-only; lag before {before.LagBytes} bytes): write-blocked window {blockedMs:F0} ms (final sync {final.Elapsed.TotalMilliseconds:F0} ms); target holds {onTarget} of {writer.Acknowledged} acknowledged writes");
        if (onTarget < writer.Acknowledged)
        {
            throw new InvalidOperationException($"the target lacks {writer.Acknowledged - onTarget} acknowledged writes");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT pg_cutover_blocked {blockedMs:F0} ms writes_per_s={writer.AchievedRate:F0} final_sync_ms={final.Elapsed.TotalMilliseconds:F0}"));
        await provider.MakeSourceWritableAsync(endpoints);
        await provider.DropTargetAsync(endpoints);
    }

    /// <summary>Fills the database with a mix of types; <c>events</c> takes well over half the size.</summary>
    private static async Task<long> GenerateAsync(string connection, long targetBytes)
    {
        // About 430 bytes of database per event row, with its share of customers and orders (measured).
        long events = targetBytes / 430;
        long customers = Math.Max(1000, events / 20);
        long orders = Math.Max(1000, events / 4);
        await ExecuteAsync(connection, string.Create(CultureInfo.InvariantCulture, $$"""
            CREATE TYPE order_state AS ENUM ('new', 'paid', 'shipped', 'returned');
            CREATE TABLE customers (id uuid PRIMARY KEY, name text NOT NULL, email text, ip inet, joined timestamptz NOT NULL, tags text[]);
            CREATE TABLE orders (id bigint PRIMARY KEY, customer uuid NOT NULL, state order_state NOT NULL, total numeric(14,2) NOT NULL, placed timestamptz NOT NULL, note text);
            CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, kind text NOT NULL, payload jsonb NOT NULL, body text NOT NULL, amount numeric(20,6), during tstzrange);
            INSERT INTO customers SELECT md5(g::text)::uuid, 'customer ' || g, 'c' || g || '@example.com', ('10.' || (g % 250) || '.' || (g / 250 % 250) || '.1')::inet, now() - g * interval '1 minute', ARRAY['a' || g % 7, 'b' || g % 11]
                FROM generate_series(1, {{customers}}) g;
            INSERT INTO orders SELECT g, md5((g % {{customers}} + 1)::text)::uuid, (ARRAY['new','paid','shipped','returned'])[g % 4 + 1]::order_state, (g % 10000) / 7.0, now() - g * interval '1 second', repeat('n', g % 40)
                FROM generate_series(1, {{orders}}) g;
            INSERT INTO events SELECT g, now() - g * interval '10 ms', 'kind' || g % 13, jsonb_build_object('n', g, 'tag', md5(g::text), 'list', jsonb_build_array(g % 5, g % 7)), repeat(md5(g::text), 4), g / 3.0, tstzrange(now() - g * interval '1 s', now())
                FROM generate_series(1, {{events}}) g;
            CREATE INDEX orders_customer ON orders (customer);
            CREATE INDEX events_at ON events (at);
            ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer) REFERENCES customers (id);
            CREATE VIEW recent_orders AS SELECT * FROM orders WHERE placed > now() - interval '1 day';
            ANALYZE;
            """));
        return await CountAsync(connection, "SELECT pg_database_size(current_database())");
    }

    private static async Task<string> CreateDatabaseAsync(PostgresCluster cluster, string name)
    {
        await ExecuteAsync(cluster.ConnectionString(), $"CREATE DATABASE \"{name}\"");
        return cluster.ConnectionString(name);
    }

    private static Task DropDatabaseAsync(PostgresCluster cluster, string name, string connection)
    {
        _ = connection;
        return ExecuteAsync(cluster.ConnectionString(), $"DROP DATABASE \"{name}\" WITH (FORCE)");
    }

    private static async Task ExecuteAsync(string connection, string sql)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(string connection, string sql)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db) { CommandTimeout = 0 };
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var timer = Stopwatch.StartNew();
        await action();
        return timer.Elapsed.TotalSeconds;
    }

    private static async Task RunShellAsync(string command)
    {
        // As root the client tools run as root: they connect over TCP, so no server-side user switch is needed.
        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add("pipefail");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)!;
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"`{command}` exited with {process.ExitCode}: {error}");
        }
    }

    private sealed class CountingProgress(Action onReport) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value) => onReport();
    }

    /// <summary>Inserts at a steady rate on one connection, reconnecting after errors, and counts what the server acknowledged.</summary>
    private sealed class SteadyWriter(string connection, int writesPerSecond)
    {
        private readonly Stopwatch _clock = new();
        private TimeSpan? _blockedAt;

        public long Acknowledged { get; private set; }

        public long Refused { get; private set; }

        /// <summary>Gets the acknowledged writes per second until the first refusal (the block).</summary>
        public double AchievedRate => Acknowledged / Math.Max(0.001, (_blockedAt ?? _clock.Elapsed).TotalSeconds);

        public async Task RunAsync(CancellationToken stop)
        {
            _clock.Start();
            NpgsqlConnection? db = null;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    long due = (long)(_clock.Elapsed.TotalSeconds * writesPerSecond);
                    if (Acknowledged + Refused >= due)
                    {
                        await Task.Delay(1, CancellationToken.None);
                        continue;
                    }

                    try
                    {
                        if (db is null)
                        {
                            db = new NpgsqlConnection(connection);
                            await db.OpenAsync(CancellationToken.None);
                        }

                        await using var insert = new NpgsqlCommand("INSERT INTO writes (account, amount) VALUES ($1, $2)", db);
                        insert.Parameters.AddWithValue(Acknowledged % 200000 + 1);
                        insert.Parameters.AddWithValue(1.25m);
                        await insert.ExecuteNonQueryAsync(CancellationToken.None);
                        Acknowledged++;
                    }
                    catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
                    {
                        // Read-only or cut off: the write was refused with an error, not lost.
                        Refused++;
                        if (db is not null)
                        {
                            await db.DisposeAsync();
                            db = null;
                        }

                        _blockedAt ??= _clock.Elapsed;
                        await Task.Delay(5, CancellationToken.None);
                    }
                }
            }
            finally
            {
                if (db is not null)
                {
                    await db.DisposeAsync();
                }
            }
        }
    }
}
