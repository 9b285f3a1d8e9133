using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using DurableMigration.Manifest;
using Npgsql;

namespace DurableMigration.Providers.Postgres;

public sealed partial class PostgresDatabaseProvider
{
    private const int CopyBufferBytes = 256 * 1024;

    /// <summary>At most this many block ranges per table.</summary>
    private const int MaxRangesPerTable = 64;

    /// <inheritdoc/>
    /// <remarks>
    /// <para>
    /// Copies every moving table's rows inside one consistent snapshot of the source (a coordinator session exports it
    /// with <c>pg_export_snapshot()</c> and holds it while the workers copy), <see cref="PostgresProviderOptions.ParallelTables"/>
    /// tables at a time, tables larger than <see cref="PostgresProviderOptions.SplitTableBytes"/> in several block
    /// (<c>ctid</c>) ranges in parallel. Each table or range streams as binary COPY from source to target, byte for
    /// byte: <c>COPY (SELECT columns FROM ONLY table) TO STDOUT (FORMAT BINARY)</c> into <c>COPY table (columns) FROM
    /// STDIN (FORMAT BINARY)</c>. Generated columns are left out (the target computes them); partitioned tables are
    /// copied through their partitions, inheritance parents and children each with <c>ONLY</c>; foreign tables are not
    /// copied.
    /// </para>
    /// <para>
    /// Then sequences are set to the source's values, post-data is restored (<c>pg_restore --section=post-data</c>:
    /// primary keys, indexes, foreign keys, triggers), populated materialized views are refreshed and the target is
    /// analyzed. Rerunnable: target tables are truncated first, and a target past the row copy (post-data begun)
    /// gets a fresh pre-data schema first.
    /// </para>
    /// </remarks>
    public Task<DataCopyResult> CopyDataAsync(MigrationEndpoints endpoints, IProgress<CopyProgress> progress, CancellationToken cancellationToken = default) =>
        CopyOfflineAsync(endpoints, progress, cancellationToken);

    /// <summary>Copies every moving table's rows in one snapshot of the source, then builds post-data, sets sequences, refreshes materialized views and analyzes (<see cref="CopyDataAsync"/>).</summary>
    /// <param name="endpoints">The migration.</param>
    /// <param name="progress">Receives progress at most every <see cref="PostgresProviderOptions.ProgressInterval"/> and after every table.</param>
    /// <param name="snapshot">
    /// A snapshot exported by a transaction that stays open for the whole call (such as the one a logical replication
    /// slot was created with): every source session reads in it (<c>SET TRANSACTION SNAPSHOT</c>). <c>null</c>: the
    /// coordinator session exports one and holds it.
    /// </param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    internal async Task<DataCopyResult> CopyTablesAsync(MigrationEndpoints endpoints, IProgress<CopyProgress> progress, string? snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(progress);
        if (snapshot is not null && !SnapshotPattern().IsMatch(snapshot))
        {
            throw new ArgumentException("Not a snapshot id as pg_export_snapshot() returns it.", nameof(snapshot));
        }

        var source = Source(endpoints);
        var target = Target(endpoints);
        long started = _timeProvider.GetTimestamp();
        try
        {
            await PrepareTargetForRowsAsync(endpoints, source, target, cancellationToken).ConfigureAwait(false);
            var (tables, rows, bytes) = await CopyRowsAsync(endpoints, source, target, progress, snapshot, cancellationToken).ConfigureAwait(false);
            await FinishTargetAsync(endpoints, source, target, cancellationToken).ConfigureAwait(false);
            PgLogs.DataCopied(_logger, endpoints.Database, rows, tables.Count, bytes, (long)_timeProvider.GetElapsedTime(started).TotalMilliseconds);
            return new DataCopyResult(tables, rows, bytes);
        }
        catch (Exception ex) when (ex is not DatabaseProviderException and not OperationCanceledException)
        {
            throw PgErrors.Translate(ex, endpoints.Database, "data copy", cancellationToken, source.Password, target.Password);
        }
    }

    /// <summary>Makes sure the target holds the pre-data schema and nothing built after the rows; marks it <see cref="PgMarker.Copying"/>.</summary>
    private async Task PrepareTargetForRowsAsync(MigrationEndpoints endpoints, PgEndpoint source, PgEndpoint target, CancellationToken cancellationToken)
    {
        TargetState state;
        await using (var admin = await target.OpenAdminAsync(cancellationToken).ConfigureAwait(false))
        {
            state = await PgMarker.ReadAsync(admin, target, cancellationToken).ConfigureAwait(false);
        }

        if (state.Kind == TargetKind.UnmarkedNotEmpty)
        {
            throw RefuseTarget(endpoints.Database, target);
        }

        if (state is not { Kind: TargetKind.Marked, CopyState: PgMarker.SchemaCopied or PgMarker.Copying })
        {
            // Missing, never restored, or post-data already (partly) built by an earlier run: start from a fresh schema.
            PgLogs.ReplacingTarget(_logger, endpoints.Database, target.DatabaseName, $"the data copy needs a fresh schema (state {state.CopyState ?? state.Kind.ToString()})");
            await RecreateSchemaAsync(endpoints, source, target, cancellationToken).ConfigureAwait(false);
        }

        await using var marker = await target.OpenAdminAsync(cancellationToken).ConfigureAwait(false);
        await PgMarker.WriteAsync(marker, target.DatabaseName, endpoints.Database, PgMarker.Copying, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(List<TableCopyResult> Tables, long Rows, long Bytes)> CopyRowsAsync(MigrationEndpoints endpoints, PgEndpoint source, PgEndpoint target, IProgress<CopyProgress> progress, string? snapshot, CancellationToken cancellationToken)
    {
        await using var coordinator = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await PgSql.ExecuteAsync(coordinator, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", cancellationToken).ConfigureAwait(false);
        if (snapshot is null)
        {
            snapshot = await PgSql.ScalarAsync<string>(coordinator, "SELECT pg_export_snapshot()", cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("pg_export_snapshot() returned null.");
        }
        else
        {
            await PgSql.ExecuteAsync(coordinator, $"SET TRANSACTION SNAPSHOT '{snapshot}'", cancellationToken).ConfigureAwait(false);
        }

        var tables = (await PgCatalog.ReadTablesAsync(coordinator, cancellationToken).ConfigureAwait(false))
            .Where(t => t.HoldsRows && PgCatalog.Includes(endpoints.Tables, t))
            .ToList();
        long blockSize = long.Parse(await PgSql.ScalarAsync<string>(coordinator, "SHOW block_size", cancellationToken).ConfigureAwait(false) ?? "8192", CultureInfo.InvariantCulture);
        var sequences = await PgSql.QueryAsync(coordinator, "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), coalesce(last_value, start_value), last_value IS NOT NULL FROM pg_sequences", r => (Name: r.GetString(0), Value: r.GetInt64(1), Called: r.GetBoolean(2)), cancellationToken).ConfigureAwait(false);

        await using (var targetConnection = await target.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            if (tables.Count > 0)
            {
                await PgSql.ExecuteAsync(targetConnection, "TRUNCATE ONLY " + string.Join(", ", tables.Select(t => t.Quoted)), cancellationToken).ConfigureAwait(false);
            }

            foreach (var (name, value, called) in sequences)
            {
                await PgSql.ExecuteAsync(targetConnection, "SELECT setval(to_regclass(@name), @value, @called) WHERE to_regclass(@name) IS NOT NULL", cancellationToken, ("name", name), ("value", value), ("called", called)).ConfigureAwait(false);
            }
        }

        var jobs = tables.SelectMany(t => Ranges(t, blockSize)).OrderByDescending(j => j.Bytes).ToList();
        var tracker = new CopyTracker(progress, tables.Sum(t => t.EstimatedRows), _options.ProgressInterval, _timeProvider, jobs.CountBy(j => j.Table.QualifiedName).ToDictionary(StringComparer.Ordinal));
        var queue = new ConcurrentQueue<CopyJob>(jobs);
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        int workers = Math.Max(1, Math.Min(_options.ParallelTables, jobs.Count));
        var running = Enumerable.Range(0, workers).Select(_ => Task.Run(() => CopyWorkerAsync(source, target, snapshot, queue, tracker, failure), failure.Token)).ToList();
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (Exception) when (running.FirstOrDefault(t => t.IsFaulted && t.Exception!.InnerException is not OperationCanceledException) is { } failed)
        {
            // The first real failure, not the cancellations it caused in the other workers.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed.Exception!.InnerException!);
        }

        await PgSql.ExecuteAsync(coordinator, "COMMIT", cancellationToken).ConfigureAwait(false);
        var results = tables.ConvertAll(t => new TableCopyResult(t.QualifiedName, tracker.RowsOf(t.QualifiedName)));
        tracker.Finish(results.Sum(r => r.Rows));
        return (results, results.Sum(r => r.Rows), tracker.Bytes);
    }

    /// <summary>Splits a table larger than <see cref="PostgresProviderOptions.SplitTableBytes"/> into block ranges; the first and last are open-ended, so rows on blocks added since the size was read are copied too.</summary>
    private IEnumerable<CopyJob> Ranges(PgTable table, long blockSize)
    {
        long parts = Math.Min(MaxRangesPerTable, (table.SizeBytes + _options.SplitTableBytes - 1) / _options.SplitTableBytes);
        long blocks = table.SizeBytes / blockSize;
        if (parts <= 1 || blocks < 2)
        {
            yield return new CopyJob(table, null, null, table.SizeBytes);
            yield break;
        }

        parts = Math.Min(parts, blocks);
        long per = (blocks + parts - 1) / parts;
        for (long from = 0; from < blocks; from += per)
        {
            yield return new CopyJob(table, from == 0 ? null : from, from + per >= blocks ? null : from + per, per * blockSize);
        }
    }

    private async Task CopyWorkerAsync(PgEndpoint source, PgEndpoint target, string snapshot, ConcurrentQueue<CopyJob> queue, CopyTracker tracker, CancellationTokenSource failure)
    {
        var cancellationToken = failure.Token;
        try
        {
            await using var reader = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            await PgSql.ExecuteAsync(reader, $"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{snapshot}'", cancellationToken).ConfigureAwait(false);
            await using var writer = await target.OpenAsync(cancellationToken).ConfigureAwait(false);
            await PgSql.ExecuteAsync(writer, "SET synchronous_commit = off", cancellationToken).ConfigureAwait(false);
            byte[] buffer = new byte[CopyBufferBytes];
            while (queue.TryDequeue(out var job))
            {
                await CopyJobAsync(reader, writer, job, buffer, tracker, cancellationToken).ConfigureAwait(false);
            }

            await PgSql.ExecuteAsync(reader, "COMMIT", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await failure.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task CopyJobAsync(NpgsqlConnection reader, NpgsqlConnection writer, CopyJob job, byte[] buffer, CopyTracker tracker, CancellationToken cancellationToken)
    {
        var table = job.Table;
        string columns = table.CopyColumnList;
        string where = (job.FromBlock, job.ToBlock) switch
        {
            (null, null) => string.Empty,
            (long from, null) => $" WHERE ctid >= '({from.ToString(CultureInfo.InvariantCulture)},0)'::tid",
            (null, long to) => $" WHERE ctid < '({to.ToString(CultureInfo.InvariantCulture)},0)'::tid",
            (long from, long to) => $" WHERE ctid >= '({from.ToString(CultureInfo.InvariantCulture)},0)'::tid AND ctid < '({to.ToString(CultureInfo.InvariantCulture)},0)'::tid",
        };
        if (table.Columns.Any(c => !c.Generated && !c.Binary))
        {
            await CopyJobAsTextAsync(reader, writer, job, columns, where, tracker, cancellationToken).ConfigureAwait(false);
            return;
        }

        string export = $"COPY (SELECT {columns} FROM ONLY {table.Quoted}{where}) TO STDOUT (FORMAT BINARY)";
        string import = columns.Length == 0 ? $"COPY {table.Quoted} FROM STDIN (FORMAT BINARY)" : $"COPY {table.Quoted} ({columns}) FROM STDIN (FORMAT BINARY)";
        var counter = new CopyRowCounter();
        long reported = 0;
        await using (var input = await reader.BeginRawBinaryCopyAsync(export, cancellationToken).ConfigureAwait(false))
        await using (var output = await writer.BeginRawBinaryCopyAsync(import, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                int read;
                while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    counter.Feed(buffer.AsSpan(0, read));
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    tracker.Add(table.QualifiedName, counter.Rows - reported, read, final: false);
                    reported = counter.Rows;
                }
            }
            catch
            {
                await output.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        tracker.Add(table.QualifiedName, counter.Rows - reported, 0, final: true);
    }

    /// <summary>Copies a table with a column whose type has no binary form (no send function, as in some extensions) in COPY's text format; each row is one line.</summary>
    private static async Task CopyJobAsTextAsync(NpgsqlConnection reader, NpgsqlConnection writer, CopyJob job, string columns, string where, CopyTracker tracker, CancellationToken cancellationToken)
    {
        var table = job.Table;
        string export = $"COPY (SELECT {columns} FROM ONLY {table.Quoted}{where}) TO STDOUT";
        string import = columns.Length == 0 ? $"COPY {table.Quoted} FROM STDIN" : $"COPY {table.Quoted} ({columns}) FROM STDIN";
        char[] buffer = new char[CopyBufferBytes / 2];
        using var input = await reader.BeginTextExportAsync(export, cancellationToken).ConfigureAwait(false);
        var output = await writer.BeginTextImportAsync(import, cancellationToken).ConfigureAwait(false);
        await using (output.ConfigureAwait(false))
        {
            try
            {
                int read;
                while ((read = await input.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    long lines = buffer.AsSpan(0, read).Count('\n');
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    tracker.Add(table.QualifiedName, lines, read, final: false);
                }
            }
            catch
            {
                // Disposing would commit what was written so far.
                await ((NpgsqlCopyTextWriter)output).CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        tracker.Add(table.QualifiedName, 0, 0, final: true);
    }

    /// <summary>Builds what comes after the rows, in order: post-data (<c>pg_restore --section=post-data</c>), materialized views, statistics; marks the target <see cref="PgMarker.Copied"/>.</summary>
    private async Task FinishTargetAsync(MigrationEndpoints endpoints, PgEndpoint source, PgEndpoint target, CancellationToken cancellationToken)
    {
        await using (var admin = await target.OpenAdminAsync(cancellationToken).ConfigureAwait(false))
        {
            await PgMarker.WriteAsync(admin, target.DatabaseName, endpoints.Database, PgMarker.PostData, cancellationToken).ConfigureAwait(false);
        }

        List<PgTable> tables;
        List<string> populated;
        await using (var sourceConnection = await source.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            tables = await PgCatalog.ReadTablesAsync(sourceConnection, cancellationToken).ConfigureAwait(false);
            populated = await PgSql.QueryAsync(sourceConnection, "SELECT quote_ident(schemaname) || '.' || quote_ident(matviewname) FROM pg_matviews WHERE ispopulated ORDER BY 1", r => r.GetString(0), cancellationToken).ConfigureAwait(false);
        }

        await DumpAndRestoreAsync(endpoints, source, target, tables, "post-data", cancellationToken).ConfigureAwait(false);
        await using (var connection = await target.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await RefreshMaterializedViewsAsync(connection, populated, cancellationToken).ConfigureAwait(false);
            await PgSql.ExecuteAsync(connection, "ANALYZE", cancellationToken).ConfigureAwait(false);
        }

        await using var marker = await target.OpenAdminAsync(cancellationToken).ConfigureAwait(false);
        await PgMarker.WriteAsync(marker, target.DatabaseName, endpoints.Database, PgMarker.Copied, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Refreshes the materialized views populated in the source; one that reads another not yet populated waits for the next pass.</summary>
    private static async Task RefreshMaterializedViewsAsync(NpgsqlConnection connection, List<string> views, CancellationToken cancellationToken)
    {
        var pending = views;
        while (pending.Count > 0)
        {
            var deferred = new List<string>();
            PostgresException? last = null;
            foreach (string view in pending)
            {
                bool exists = await PgSql.ScalarAsync<bool>(connection, "SELECT to_regclass(@name) IS NOT NULL", cancellationToken, ("name", view)).ConfigureAwait(false);
                if (!exists)
                {
                    continue;
                }

                try
                {
                    await PgSql.ExecuteAsync(connection, "REFRESH MATERIALIZED VIEW " + view, cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException ex) when (ex.SqlState == "55000")
                {
                    deferred.Add(view);
                    last = ex;
                }
            }

            if (deferred.Count == pending.Count)
            {
                throw last!;
            }

            pending = deferred;
        }
    }

    [GeneratedRegex("^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+$")]
    private static partial Regex SnapshotPattern();

    /// <summary>One table, or one block range of it.</summary>
    private sealed record CopyJob(PgTable Table, long? FromBlock, long? ToBlock, long Bytes);

    /// <summary>Counts rows and bytes of all workers, per table too, and reports progress at most every interval, and after each table.</summary>
    private sealed class CopyTracker(IProgress<CopyProgress> progress, long estimate, TimeSpan interval, TimeProvider time, Dictionary<string, int> jobsPerTable)
    {
        /// <summary>How many tables a report lists: those in flight, then those finished last.</summary>
        private const int TablesShown = 8;

        private readonly Dictionary<string, TableCount> _tables = new(StringComparer.Ordinal);
        private readonly Lock _lock = new();
        private long _total;
        private long _bytes;
        private long _sequence;
        private long _lastReport = time.GetTimestamp();
        private string _lastTable = string.Empty;

        public long Bytes => Interlocked.Read(ref _bytes);

        public long RowsOf(string table)
        {
            lock (_lock)
            {
                return _tables.GetValueOrDefault(table)?.Rows ?? 0;
            }
        }

        public void Add(string table, long rows, long bytes, bool final)
        {
            long total = Interlocked.Add(ref _total, rows);
            long copied = Interlocked.Add(ref _bytes, bytes);
            lock (_lock)
            {
                if (!_tables.TryGetValue(table, out var count))
                {
                    _tables[table] = count = new TableCount(jobsPerTable.GetValueOrDefault(table, 1));
                }

                count.Rows += rows;
                count.Bytes += bytes;
                count.JobsLeft -= final ? 1 : 0;
                count.Touched = ++_sequence;
                if (!final && time.GetElapsedTime(Interlocked.Read(ref _lastReport)) < interval)
                {
                    return;
                }

                Interlocked.Exchange(ref _lastReport, time.GetTimestamp());
                _lastTable = table;
                progress.Report(new CopyProgress(table, total, Math.Max(estimate, total), copied) { Tables = Snapshot() });
            }
        }

        public void Finish(long rows)
        {
            lock (_lock)
            {
                progress.Report(new CopyProgress(_lastTable, rows, rows, Bytes) { Tables = Snapshot() });
            }
        }

        /// <summary>The tables in flight, then those finished most recently; called under the lock.</summary>
        private List<TableProgress> Snapshot() =>
            [.. _tables.OrderBy(t => t.Value.JobsLeft <= 0).ThenByDescending(t => t.Value.Touched).Take(TablesShown)
                .Select(t => new TableProgress(t.Key, t.Value.Rows, t.Value.Bytes, t.Value.JobsLeft <= 0))];

        private sealed class TableCount(int jobs)
        {
            public long Rows { get; set; }

            public long Bytes { get; set; }

            public int JobsLeft { get; set; } = jobs;

            public long Touched { get; set; }
        }
    }
}
