using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Change capture and change sync.</summary>
public sealed partial class SqliteDatabaseProvider
{
    /// <summary>SQLITE_DBCONFIG_ENABLE_TRIGGER (1003): turns a connection's triggers off (1008 is SQLITE_DBCONFIG_TRIGGER_EQP, which does not).</summary>
    private const int EnableTriggerOption = 1003;

    /// <inheritdoc/>
    public bool SupportsChangeSync => true;

    /// <inheritdoc/>
    /// <remarks>
    /// <para>
    /// The data copy installs a change capture on the source before it reads any row (<see cref="ChangeCapture"/>:
    /// triggers append the key of every changed row to <c>_dmig_changes</c>). This step attaches the source read-only
    /// to the target's connection and, in one transaction that reads one snapshot of the source, takes the changes
    /// recorded after the last one applied (the target's marker keeps its number), and per changed table deletes the
    /// target rows whose key the source no longer has and writes the source's current rows for the changed keys with
    /// <c>INSERT OR REPLACE</c>. A table without a usable key (no rowid name reaches its rowid) and a virtual table that
    /// changed are synced whole. The target's triggers are off meanwhile (the source's triggers already made their
    /// changes, which are recorded too) and so are foreign keys; AUTOINCREMENT counters follow the source.
    /// </para>
    /// <para>
    /// When every moving table of the source carries the read-only triggers, the sync is final: the target marker notes
    /// that nothing is left to sync, then the capture's triggers and table are dropped from the source, which ends as it
    /// was (its file may keep the freed pages). Otherwise the capture stays, and a later call applies what came since.
    /// With no usable record (no capture on the source, or one the target did not begin with, or a target that is not a
    /// finished copy of the current schema) the sync copies everything again and reports <see cref="ChangeSyncResult.FullCopy"/>.
    /// </para>
    /// </remarks>
    public Task<ChangeSyncResult> SyncChangesAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        RunAsync(endpoints, "change sync", job => Task.FromResult(SyncChanges(job)), cancellationToken);

    /// <summary>Tells whether every moving table (and every shadow table of a moving virtual table) carries the three read-only triggers.</summary>
    private static bool IsReadOnly(SqliteSchema schema, MigrationPlan plan)
    {
        var triggers = schema.ReadOnlyTriggers.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return plan.Tables.Select(t => t.Name)
            .Concat(plan.VirtualTables.SelectMany(v => v.ShadowTables))
            .All(table => WriteOperations.All(operation => triggers.Contains(ReadOnlyTriggerPrefix + table + "_" + operation)));
    }

    /// <summary>Before the copy reads a row: installs a new change capture on the source, or, on a read-only source, removes any old one.</summary>
    /// <returns>The capture id the target's marker records; <c>null</c> when the source cannot be written (a later sync then copies again).</returns>
    private string? PrepareCapture(Job job, SqliteSchema schema, MigrationPlan plan)
    {
        var source = job.Source;
        job.Writing(source);
        try
        {
            using var connection = source.Open(SqliteOpenMode.ReadWrite);
            if (IsReadOnly(schema, plan))
            {
                if (schema.HasChangesTable || schema.CaptureTriggers.Count > 0)
                {
                    ChangeCapture.Remove(connection);
                }

                return MigrationMarker.NothingToCapture;
            }

            string id = ChangeCapture.Install(connection, plan);
            Logs.CaptureInstalled(_logger, job.Database, plan.Tables.Count + plan.VirtualTables.Count);
            return id;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteErrors.ReadOnly or SqliteErrors.CannotOpen)
        {
            Logs.CaptureUnavailable(_logger, job.Database, SqliteErrors.OneLine(job.Redaction.Apply(ex.Message, out _)));
            return null;
        }
    }

    /// <summary>Drops the source's change capture, if any (compensations): the source ends as it was.</summary>
    private void RemoveCapture(Job job)
    {
        if (SqliteFile.TryParse(job.Endpoints.SourceConnection) is null || !job.Source.Exists)
        {
            return;
        }

        job.Writing(job.Source);
        using var connection = job.Source.Open(SqliteOpenMode.ReadWrite);
        if (ChangeCapture.Remove(connection))
        {
            Logs.CaptureRemoved(_logger, job.Database);
        }
    }

    private ChangeSyncResult SyncChanges(Job job)
    {
        var stopwatch = Stopwatch.StartNew();
        RequireDistinct(job);
        var (schema, plan) = ReadSource(job);
        bool final = IsReadOnly(schema, plan);
        var target = job.Target;
        var inspection = MigrationMarker.Inspect(target);
        string? capture = null;
        if (schema.HasChangesTable)
        {
            job.Reading(job.Source);
            using var connection = job.Source.Open(SqliteOpenMode.ReadOnly);
            capture = ChangeCapture.Id(connection, "main");
        }

        bool copied = inspection is { Kind: TargetKind.Marked, State: MigrationMarker.Copied } && inspection.Fingerprint == plan.Fingerprint;
        if (copied && final && inspection.Capture == MigrationMarker.NothingToCapture)
        {
            // Synced (or copied) while the source was already read-only: nothing can have changed since.
            RemoveCapture(job);
            return new ChangeSyncResult(0, 0, 0, [], stopwatch.Elapsed, Final: true, FullCopy: false);
        }

        if (!copied || capture is null || inspection.Capture != capture)
        {
            string reason = !copied ? "the target is not a finished copy of the current source" : capture is null ? "the source has no change capture" : "the source's change capture is not the one the target's copy began with";
            return CopyAgain(job, schema, plan, final, reason, stopwatch);
        }

        var result = ApplyChanges(job, plan, capture, inspection.SyncedSeq, final);
        if (final)
        {
            RemoveCapture(job);
        }

        result = result with { Elapsed = stopwatch.Elapsed };
        Logs.ChangesSynced(_logger, job.Database, result.ChangedRows, result.RowsWritten, result.RowsDeleted, final, (long)result.Elapsed.TotalMilliseconds);
        return result;
    }

    private ChangeSyncResult CopyAgain(Job job, SqliteSchema schema, MigrationPlan plan, bool final, string reason, Stopwatch stopwatch)
    {
        Logs.SyncCopiesAgain(_logger, job.Database, reason);
        CreateTargetSchema(job, schema, plan);
        string? capture = PrepareCapture(job, schema, plan);
        var copy = CopyRows(job, schema, plan, new Progress<CopyProgress>(), capture);
        var tables = copy.Tables.Select(t => new TableSyncResult(t.Table, t.Rows, Whole: true)).ToList();
        return new ChangeSyncResult(copy.Rows, copy.Rows, 0, tables, stopwatch.Elapsed, final, FullCopy: true);
    }

    private ChangeSyncResult ApplyChanges(Job job, MigrationPlan plan, string capture, long syncedSeq, bool final)
    {
        var target = job.Target;
        job.Writing(target);
        using var connection = target.Open(SqliteOpenMode.ReadWrite, byUri: true);

        // The source's triggers made their changes there, and those changes are recorded too: the target's must not
        // make them a second time. Foreign keys stay off as in the copy: rows arrive in no particular order.
        int rc = raw.sqlite3_db_config(connection.Handle, EnableTriggerOption, 0, out _);
        SqliteException.ThrowExceptionForRC(rc, connection.Handle);
        Sql.Execute(connection, "PRAGMA foreign_keys = OFF");
        Sql.Execute(connection, $"ATTACH DATABASE {Sql.Literal(job.Source.Uri + "?mode=ro")} AS src");
        string changes = $"src.{Sql.Quote(SqliteSchema.ChangesTable)}";
        AppliedRecords applied = AppliedRecords.None;

        // A deferred transaction: a read lock on the source (one snapshot of it), a write lock on the target only.
        job.Reading(job.Source);
        Sql.InTransaction(connection, () =>
        {
            if (ChangeCapture.Id(connection, "src") != capture)
            {
                throw new DatabaseProviderException(job.Database, $"Database '{job.Database}': the source's change capture was replaced while the sync started; retrying syncs against the new one.");
            }

            long last = Sql.Int64(connection, $"SELECT coalesce(max(seq), 0) FROM {changes}");
            job.Writing(target);
            applied = ApplyRecords(connection, plan, changes, syncedSeq, last, new Dictionary<string, long>());
            TargetCapture.RefreshRows(connection, applied.Tables.Select(t => t.Table)); // a baseline recorded before this sync must not count its writes
            MigrationMarker.SetCapture(connection, final ? MigrationMarker.NothingToCapture : capture, last, _timeProvider.GetUtcNow());
        });

        Sql.Execute(connection, "DETACH DATABASE src");
        return new ChangeSyncResult(applied.Changed, applied.Written, applied.Deleted, applied.Tables, TimeSpan.Zero, final, FullCopy: false);
    }

    /// <summary>
    /// Inside the caller's transaction, on a connection whose <c>main</c> is written from the attached <c>src</c>: applies
    /// the change records <c>seq &gt; from AND seq &lt;= to</c> of <paramref name="changes"/> (a qualified table name) to
    /// the tables of <paramref name="plan"/>, and copies the tables of <paramref name="whole"/> whole.
    /// </summary>
    /// <param name="connection">The connection: <c>main</c> is written, <c>src</c> read.</param>
    /// <param name="plan">The tables that may have changed.</param>
    /// <param name="changes">The change records, schema-qualified; <c>null</c> when there are none (then only <paramref name="whole"/> is copied).</param>
    /// <param name="from">The last record already applied.</param>
    /// <param name="to">The last record to apply.</param>
    /// <param name="whole">Tables (and virtual tables) to copy whole whatever the records say, with the changed rows to report for them.</param>
    /// <remarks>
    /// Per changed table with a key: deletes the <c>main</c> rows whose key <c>src</c> no longer has, and writes <c>src</c>'s
    /// current rows for the recorded keys with <c>INSERT OR REPLACE</c> (set-based, two statements). A table without a
    /// usable key, and a virtual table that changed, are copied whole. AUTOINCREMENT counters follow <c>src</c>.
    /// </remarks>
    private static AppliedRecords ApplyRecords(SqliteConnection connection, MigrationPlan plan, string? changes, long from, long to, IReadOnlyDictionary<string, long> whole)
    {
        var results = new List<TableSyncResult>();
        long changed = 0, written = 0, deleted = 0;
        var range = new (string, object?)[] { ("$from", from), ("$to", to) };
        var counts = changes is null
            ? new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase)
            : Sql.Query(connection, $"SELECT tbl, count(*) FROM {changes} WHERE seq > $from AND seq <= $to GROUP BY tbl", r => (Table: r.GetString(0), Records: r.GetInt64(1)), range)
                .ToDictionary(c => c.Table, c => c.Records, StringComparer.OrdinalIgnoreCase);
        var touched = new List<SqliteTable>();
        foreach (var table in plan.Tables.Where(t => counts.ContainsKey(t.Name) || whole.ContainsKey(t.Name)))
        {
            touched.Add(table);
            var key = ChangeCapture.Key(table);
            string name = Sql.Quote(table.Name);
            var columns = table.StoredColumns.Select(c => Sql.Quote(c.Name)).ToList();
            if (!table.WithoutRowid && !table.HasRowidAlias && table.RowidName is { } rowid)
            {
                columns.Insert(0, rowid); // keep the rowid, as the copy did
            }

            string list = string.Join(", ", columns);
            var parameters = range.Append(("$t", table.Name)).ToArray();
            if (key.Count == 0 || whole.ContainsKey(table.Name))
            {
                long d = Sql.Execute(connection, $"DELETE FROM main.{name}");
                long w = Sql.Execute(connection, $"INSERT INTO main.{name} ({list}) SELECT {list} FROM src.{name}");
                long records = whole.TryGetValue(table.Name, out long estimate) ? Math.Max(estimate, counts.GetValueOrDefault(table.Name)) : counts[table.Name];
                (deleted, written, changed) = (deleted + d, written + w, changed + records);
                results.Add(new TableSyncResult(table.Name, records, Whole: true));
                continue;
            }

            string keyColumns = "(" + string.Join(", ", key) + ")";
            string recorded = $"SELECT DISTINCT {string.Join(", ", Enumerable.Range(1, key.Count).Select(i => "k" + i.ToString(CultureInfo.InvariantCulture)))} FROM {changes} WHERE tbl = $t AND seq > $from AND seq <= $to";
            long keys = Sql.Int64(connection, $"SELECT count(*) FROM ({recorded})", parameters);
            long gone = Sql.Execute(connection, $"DELETE FROM main.{name} WHERE {keyColumns} IN ({recorded}) AND {keyColumns} NOT IN (SELECT {string.Join(", ", key)} FROM src.{name} WHERE {keyColumns} IN ({recorded}))", parameters);
            long upserted = Sql.Execute(connection, $"INSERT OR REPLACE INTO main.{name} ({list}) SELECT {list} FROM src.{name} WHERE {keyColumns} IN ({recorded})", parameters);
            (deleted, written, changed) = (deleted + gone, written + upserted, changed + keys);
            results.Add(new TableSyncResult(table.Name, keys, Whole: false));
        }

        // A virtual table changed when its watched shadow table did, or (external content) when its content table did;
        // one without a watched shadow table may have changed unseen.
        bool Changed(SqliteVirtualTable v) => counts.ContainsKey(v.Name) || whole.ContainsKey(v.Name) || v.ChangeShadow is null || (v.ContentTable is { } content && (counts.ContainsKey(content) || whole.ContainsKey(content)));
        foreach (var table in plan.VirtualTables.Where(v => v.HasContent && Changed(v)))
        {
            if (table.Kind is VirtualTableKind.FullTextWithContent or VirtualTableKind.Rows)
            {
                deleted += Sql.Execute(connection, $"DELETE FROM main.{Sql.Quote(table.Name)}");
            }

            written += FillVirtualTable(connection, table); // a rebuild ('rebuild', or the shadow tables copied anew) replaces the whole index
            long records = Math.Max(counts.GetValueOrDefault(table.Name), whole.GetValueOrDefault(table.Name));
            changed += records;
            results.Add(new TableSyncResult(table.Name, records, Whole: true));
        }

        SyncCounters(connection, touched);
        return new AppliedRecords(results, changed, written, deleted);
    }

    /// <summary>Sets the target's AUTOINCREMENT counters of <paramref name="tables"/> to the source's.</summary>
    private static void SyncCounters(SqliteConnection connection, IEnumerable<SqliteTable> tables)
    {
        bool both = Sql.Int64(connection, "SELECT count(*) FROM main.sqlite_schema WHERE name = 'sqlite_sequence'") > 0
            && Sql.Int64(connection, "SELECT count(*) FROM src.sqlite_schema WHERE name = 'sqlite_sequence'") > 0;
        if (!both)
        {
            return;
        }

        foreach (var table in tables)
        {
            Sql.Execute(connection, "DELETE FROM main.sqlite_sequence WHERE name = $t", ("$t", table.Name));
            Sql.Execute(connection, "INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM src.sqlite_sequence WHERE name = $t", ("$t", table.Name));
        }
    }
}

/// <summary>What <c>ApplyRecords</c> did: per table, and the totals.</summary>
/// <param name="Tables">Per changed table.</param>
/// <param name="Changed">Changed rows (distinct keys; change records for tables copied whole).</param>
/// <param name="Written">Rows inserted or replaced.</param>
/// <param name="Deleted">Rows deleted.</param>
internal sealed record AppliedRecords(IReadOnlyList<TableSyncResult> Tables, long Changed, long Written, long Deleted)
{
    /// <summary>Gets the result of applying nothing.</summary>
    public static AppliedRecords None { get; } = new([], 0, 0, 0);
}
