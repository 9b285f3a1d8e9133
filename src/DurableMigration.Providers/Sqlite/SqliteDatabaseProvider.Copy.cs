using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Schema and data copy.</summary>
public sealed partial class SqliteDatabaseProvider
{
    /// <inheritdoc/>
    /// <remarks>
    /// Replaces the target file (and its <c>-wal</c>, <c>-shm</c>, <c>-journal</c>) with a new database that has the
    /// source's page size, auto-vacuum mode, text encoding, user version and application id, the marker table, and the
    /// moving tables and views exactly as their CREATE statements in the source's <c>sqlite_schema</c>. Indexes and
    /// triggers come with the data copy (see <see cref="CopyDataAsync"/>); the result counts them all the same, as the
    /// objects the finished target will have. Refuses a target that holds someone else's data.
    /// </remarks>
    public Task<SchemaCopyResult> CopySchemaAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        RunAsync(
            endpoints,
            "schema copy",
            job =>
            {
                RequireDistinct(job);
                var (schema, plan) = ReadSource(job);
                return Task.FromResult(CreateTargetSchema(job, schema, plan));
            },
            cancellationToken);

    /// <inheritdoc/>
    /// <remarks>
    /// <para>
    /// Works on the fresh schema copy of the current source; a target in any other state (rows from an earlier
    /// attempt, a copy cut short, a stale schema) is rebuilt from scratch first, which makes the step idempotent.
    /// </para>
    /// <para>
    /// A source of <see cref="SqliteProviderOptions.PageCopyThresholdBytes"/> (64 MiB) or more whose tables all move is
    /// copied page by page instead: SQLite's online backup, inside one read transaction of the source, into a file
    /// beside the target (<c>.dmig-copy</c>), which then loses the provider's own objects of the source (change
    /// capture, read-only triggers, an earlier migration's marker), gets the target's marker and replaces the target in
    /// one rename. Progress then counts pages (<see cref="CopyProgress.Table"/> is <c>(all tables)</c>, the rows are
    /// estimated from the pages until the last report); the bytes are the source file's size.
    /// </para>
    /// <para>
    /// Otherwise the source is attached read-only to the target's connection. Indexes are created on the empty tables first,
    /// then each table is copied by one <c>INSERT INTO main.t SELECT * FROM src.t</c> in its own transaction:
    /// SQLite's transfer optimization then copies records and index entries as they are stored, in order, without
    /// decoding them or sorting any index, much as VACUUM does. Building the indexes after the rows, or copying in
    /// keyset batches (which rules the transfer optimization out), measured about twice as slow on a 537 MB file.
    /// A table without an INTEGER PRIMARY KEY and without any index is copied with an explicit rowid column instead,
    /// because the transfer optimization would renumber its rows. Triggers are created last, so none fires on a
    /// copied row; foreign keys are off during the copy. AUTOINCREMENT counters and ANALYZE statistics of the
    /// moving tables follow.
    /// </para>
    /// <para>
    /// Progress is reported every <see cref="SqliteProviderOptions.ProgressBatchRows"/> rows (counted by an update
    /// hook as SQLite appends them; WITHOUT ROWID tables, which SQLite's update hook does not see, report when they
    /// finish) and at the end of every table, with exact counts then; the last report's counts equal the result's.
    /// <see cref="CopyProgress.BytesCopied"/> is page-based: how much the target file grew since the row copy began
    /// (table and index pages together).
    /// </para>
    /// <para>
    /// The load runs without a rollback journal and without fsync (a failed attempt is rebuilt, never resumed) while
    /// a background thread flushes the written pages to disk. At the end the target returns to the source's journal
    /// mode (WAL or DELETE) with synchronous FULL, and the final marker update syncs the whole file.
    /// </para>
    /// </remarks>
    public Task<DataCopyResult> CopyDataAsync(MigrationEndpoints endpoints, IProgress<CopyProgress> progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return RunAsync(endpoints, "data copy", job => CopyDataCoreAsync(job, progress), cancellationToken);
    }

    private SchemaCopyResult CreateTargetSchema(Job job, SqliteSchema schema, MigrationPlan plan)
    {
        var target = job.Target;
        var inspection = MigrationMarker.Inspect(target);
        if (!inspection.MayReplace)
        {
            throw new PermanentDatabaseProviderException(job.Database, inspection.Kind == TargetKind.NotADatabase
                ? $"Database '{job.Database}': the target file '{target.FileName}' exists and is not a SQLite database; refusing to replace it. Choose another target or remove the file."
                : $"Database '{job.Database}': the target file '{target.FileName}' holds tables DurableMigration did not write; refusing to replace it. Choose an empty target or remove the file.");
        }

        if (Path.GetDirectoryName(target.Path) is { Length: > 0 } folder)
        {
            if (!Directory.Exists(folder))
            {
                if (!_options.CreateTargetDirectory)
                {
                    throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': schema copy failed: the folder of the target file '{target.FileName}' does not exist. Create it, or correct the target connection; the provider creates folders only when its CreateTargetDirectory option is set.");
                }

                Directory.CreateDirectory(folder);
            }

            if (!CanCreateFileIn(folder, job.Redaction, out string reason))
            {
                throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': schema copy failed: cannot create the target file '{target.FileName}': its folder is not writable ({reason}). Fix its permissions or choose another target.");
            }
        }

        job.Writing(target);
        target.Delete();

        using (var connection = target.Open(SqliteOpenMode.ReadWriteCreate))
        {

            // Page size, auto-vacuum and encoding only take effect before the first table exists; ATTACH also
            // needs the source's encoding.
            Sql.Execute(connection, $"PRAGMA page_size = {schema.PageSize}; PRAGMA auto_vacuum = {schema.AutoVacuum}; PRAGMA encoding = {Sql.Literal(schema.Encoding)}; PRAGMA foreign_keys = OFF");
            Sql.InTransaction(connection, () =>
            {
                MigrationMarker.Create(connection, job.Database, job.Source.FileName, plan.Fingerprint, _timeProvider.GetUtcNow());
                foreach (var table in plan.Tables)
                {
                    Sql.Execute(connection, table.Sql);
                }

                // After the tables: FTS4 reads its content table's columns when it declares none. Creating one creates its shadow tables.
                foreach (var table in plan.VirtualTables)
                {
                    Sql.Execute(connection, table.Sql);
                }

                foreach (var view in plan.Views)
                {
                    Sql.Execute(connection, view.Sql);
                }

                Sql.Execute(connection, $"PRAGMA user_version = {schema.UserVersion}; PRAGMA application_id = {schema.ApplicationId}");
            });
        }

        Logs.SchemaCopied(_logger, job.Database, target.FileName, plan.Tables.Count + plan.VirtualTables.Count, plan.Views.Count);
        return new SchemaCopyResult(plan.Tables.Count + plan.VirtualTables.Count, plan.Indexes.Count, plan.Views.Count, plan.Triggers.Count);
    }

    private async Task<DataCopyResult> CopyDataCoreAsync(Job job, IProgress<CopyProgress> progress)
    {
        RequireDistinct(job);
        var (schema, plan) = ReadSource(job);
        var target = job.Target;
        var inspection = MigrationMarker.Inspect(target);
        if (!MigrationMarker.IsFreshSchemaCopy(target, inspection, plan, out string reason))
        {
            Logs.RebuildingTarget(_logger, job.Database, reason);
            CreateTargetSchema(job, schema, plan);
        }

        job.CancellationToken.ThrowIfCancellationRequested();
        string? capture = PrepareCapture(job, schema, plan);
        if (UsesPageCopy(schema, plan))
        {
            return await CopyPagesAsync(job, schema, plan, progress, capture).ConfigureAwait(false);
        }

        var flush = new BackgroundFlush(target.Path);
        try
        {
            return CopyRows(job, schema, plan, progress, capture);
        }
        finally
        {
            // Only now: CopyRows has closed its connection, so closing our descriptor cannot drop SQLite's locks.
            await flush.DisposeAsync().ConfigureAwait(false);
        }
    }

    private DataCopyResult CopyRows(Job job, SqliteSchema schema, MigrationPlan plan, IProgress<CopyProgress> progress, string? capture)
    {
        var cancellationToken = job.CancellationToken;
        var target = job.Target;
        var stopwatch = Stopwatch.StartNew();
        job.Writing(target);
        using var connection = target.Open(SqliteOpenMode.ReadWrite, byUri: true);

        // e_sqlite3 turns foreign keys on by default: with them on, SQLite would check every copied row and skip the
        // transfer optimization, and rows of a table whose parent stays behind could not be copied at all.
        // No fsync until the end: an attempt cut short is rebuilt, never resumed, so nothing before the last commit
        // needs to survive a power cut; the journal still makes this first commit atomic against a crashed process.
        Sql.Execute(connection, "PRAGMA foreign_keys = OFF; PRAGMA main.synchronous = OFF");
        Sql.InTransaction(connection, () =>
        {
            MigrationMarker.SetState(connection, MigrationMarker.Copying, _timeProvider.GetUtcNow());
            foreach (var index in plan.Indexes)
            {
                Sql.Execute(connection, index.Sql);
            }
        });

        // For the same reason the load needs no rollback journal.
        Sql.Execute(connection, "PRAGMA main.journal_mode = OFF");
        Sql.Execute(connection, $"ATTACH DATABASE {Sql.Literal(job.Source.Uri + "?mode=ro")} AS src");
        var attached = MigrationPlan.Create(SqliteSchema.Read(connection, "src"), job.Endpoints.Tables);
        if (attached.Fingerprint != plan.Fingerprint)
        {
            throw new DatabaseProviderException(job.Database, $"Database '{job.Database}': the source schema changed while the copy started; a retry rebuilds the target from the new schema.");
        }

        // The source's checksums for validation, from cycles the copy leaves idle (see SourceChecksums and IdleThread).
        using var hashing = StartSourceHashing(job, schema, attached.Tables, capture);
        return CopyRowsCore(job, schema, connection, attached, progress, capture, hashing, stopwatch);
    }

    private DataCopyResult CopyRowsCore(Job job, SqliteSchema schema, SqliteConnection connection, MigrationPlan attached, IProgress<CopyProgress> progress, string? capture, BackgroundSourceHashing hashing, Stopwatch stopwatch)
    {
        var cancellationToken = job.CancellationToken;
        var target = job.Target;
        var tables = attached.Tables;
        var virtualTables = attached.VirtualTables;
        var expected = attached.ContentTables
            .Select(name => Sql.Int64(connection, $"SELECT count(*) FROM src.{Sql.Quote(name)}")).ToArray();
        long baseline = PageBytes(connection);
        var results = new List<TableCopyResult>(tables.Count);
        long bytes;
        using (var tracker = new CopyProgressTracker(connection, target.Path, progress, _options.ProgressBatchRows, baseline, expected, cancellationToken))
        {
            for (int i = 0; i < tables.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var table = tables[i];
                tracker.BeginTable(i, table.Name);
                long rows = 0;
                try
                {
                    job.Reading(job.Source); // the target is this connection's alone; a lock that stops the copy is the source's
                    Sql.InTransaction(connection, () => rows = Sql.Execute(connection, CopyStatement(table)));
                    job.Writing(target);
                }
                catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteErrors.Interrupt && tracker.Failure is { } failure)
                {
                    // The progress consumer threw inside SQLite's callback; the hook interrupted the statement to rethrow it here.
                    ExceptionDispatchInfo.Throw(failure);
                }

                if (expected[i] > int.MaxValue / 2)
                {
                    // SQLite's change counter keeps only 32 bits; count a table that large instead.
                    rows = Sql.Int64(connection, $"SELECT count(*) FROM main.{Sql.Quote(table.Name)}");
                }

                results.Add(new TableCopyResult(table.Name, rows));
                tracker.EndTable(rows, PageBytes(connection) - baseline);
            }

            // Virtual tables after the ordinary ones (an FTS index is rebuilt from its content table) and before the
            // triggers. Their modules write shadow rows of their own, so progress comes at the end of each.
            int index = tables.Count;
            foreach (var table in virtualTables.Where(v => v.HasContent))
            {
                cancellationToken.ThrowIfCancellationRequested();
                tracker.BeginTable(index++, table.Name, countRows: false);
                long rows = 0;
                job.Reading(job.Source);
                Sql.InTransaction(connection, () => rows = FillVirtualTable(connection, table));
                job.Writing(target);
                results.Add(new TableCopyResult(table.Name, rows));
                tracker.EndTable(rows, PageBytes(connection) - baseline);
            }

            bytes = tracker.Bytes;
        }

        Sql.InTransaction(connection, () => CopyCountersAndStatistics(connection, schema, tables));
        Sql.Execute(connection, "DETACH DATABASE src");
        Sql.InTransaction(connection, () =>
        {
            foreach (var trigger in attached.Triggers)
            {
                Sql.Execute(connection, trigger.Sql);
            }
        });

        // Back to a durable journal: the source's own mode. The marker update commits with synchronous FULL, whose
        // fsync also flushes every page the load wrote without one; in WAL mode the checkpoint syncs the file.
        bool wal = string.Equals(schema.JournalMode, "wal", StringComparison.OrdinalIgnoreCase);
        Sql.Execute(connection, $"PRAGMA main.journal_mode = {(wal ? "WAL" : "DELETE")}; PRAGMA main.synchronous = FULL");
        var checksums = WaitForSourceChecksums(job, hashing);
        cancellationToken.ThrowIfCancellationRequested();
        MarkCopied(connection, capture, checksums);
        if (wal)
        {
            Sql.Execute(connection, "PRAGMA main.wal_checkpoint(TRUNCATE)");
        }

        long totalRows = results.Sum(r => r.Rows);
        Logs.DataCopied(_logger, job.Database, totalRows, results.Count, bytes, stopwatch.ElapsedMilliseconds);
        return new DataCopyResult(results, totalRows, bytes);
    }

    /// <summary>Starts hashing the source's <paramref name="tables"/> beside the copy; in two halves on two threads only for a source large enough to gain from it.</summary>
    private static BackgroundSourceHashing StartSourceHashing(Job job, SqliteSchema schema, IReadOnlyList<SqliteTable> tables, string? capture) =>
        BackgroundSourceHashing.Start(
            job.Source,
            tables.Select(ComparedTable.Of).ToList(),
            capture,
            split: schema.SizeBytes >= SplitHashingBytes,
            job.CancellationToken);

    /// <summary>The source size from which its hashing during the copy is split over two threads: below it, a second thread and connection cost more than they save.</summary>
    private const long SplitHashingBytes = 16L << 20;

    /// <summary>Marks a finished copy in one commit: the source's checksums, the change capture it follows (nothing applied yet), state copied.</summary>
    private void MarkCopied(SqliteConnection connection, string? capture, List<SourceChecksum> checksums) =>
        Sql.InTransaction(connection, () =>
        {
            SourceChecksums.Store(connection, checksums);
            MigrationMarker.SetCapture(connection, capture, 0, _timeProvider.GetUtcNow());
            MigrationMarker.SetState(connection, MigrationMarker.Copied, _timeProvider.GetUtcNow());
        });

    /// <summary>Waits for the source's checksums; a failure there costs validation a re-hash, never the copy.</summary>
    private List<SourceChecksum> WaitForSourceChecksums(Job job, BackgroundSourceHashing hashing)
    {
        var checksums = hashing.Wait(out var failure);
        if (failure is not null)
        {
            Logs.SourceChecksumsUnavailable(_logger, job.Database, failure.GetType().Name);
        }

        return checksums;
    }

    /// <summary>The statement that copies one table, shaped so SQLite can use its transfer optimization where that keeps rowids.</summary>
    private static string CopyStatement(SqliteTable table)
    {
        string name = Sql.Quote(table.Name);

        // The transfer optimization keeps rowids when the rowid is a column (INTEGER PRIMARY KEY) or the table has an
        // index, and in WITHOUT ROWID tables; otherwise it renumbers them, and generated columns need a column list.
        bool keepsRowids = table.WithoutRowid || table.HasRowidAlias || table.HasIndexes || table.RowidName is null;
        if (keepsRowids && !table.HasGeneratedColumns)
        {
            return $"INSERT INTO main.{name} SELECT * FROM src.{name}";
        }

        var columns = table.StoredColumns.Select(c => Sql.Quote(c.Name)).ToList();
        if (!table.WithoutRowid && !table.HasRowidAlias && table.RowidName is { } rowid)
        {
            columns.Insert(0, rowid);
        }

        string list = string.Join(", ", columns);
        string order = table.RowidName is { } key ? $" ORDER BY {key}" : string.Empty;
        return $"INSERT INTO main.{name} ({list}) SELECT {list} FROM src.{name}{order}";
    }

    /// <summary>Fills a freshly created virtual table of the target (<c>main</c>) from the attached source (<c>src</c>); returns its rows.</summary>
    private static long FillVirtualTable(SqliteConnection connection, SqliteVirtualTable table)
    {
        string name = Sql.Quote(table.Name);
        string columns = string.Join(", ", table.Columns.Select(Sql.Quote));
        switch (table.Kind)
        {
            case VirtualTableKind.FullTextWithContent:
                Sql.Execute(connection, $"INSERT INTO main.{name} (rowid, {columns}) SELECT rowid, {columns} FROM src.{name}");
                break;
            case VirtualTableKind.FullTextExternalContent:
                Sql.Execute(connection, $"INSERT INTO main.{name} ({name}) VALUES ('rebuild')");
                break;
            case VirtualTableKind.FullTextContentless:
                // No documents to index again: the index itself moves, shadow table by shadow table, as VACUUM would move it.
                foreach (string shadow in table.ShadowTables.Select(Sql.Quote))
                {
                    Sql.Execute(connection, $"DELETE FROM main.{shadow}; INSERT INTO main.{shadow} SELECT * FROM src.{shadow}");
                }

                break;
            case VirtualTableKind.Rows when table.Module == "geopoly":
                Sql.Execute(connection, $"INSERT INTO main.{name} (rowid, {columns}) SELECT rowid, {columns} FROM src.{name}");
                break;
            case VirtualTableKind.Rows:
                // R*Tree's first column is its rowid.
                Sql.Execute(connection, $"INSERT INTO main.{name} ({columns}) SELECT {columns} FROM src.{name}");
                break;
        }

        return Sql.Int64(connection, $"SELECT count(*) FROM main.{name}");
    }

    private static void CopyCountersAndStatistics(SqliteConnection connection, SqliteSchema schema, IReadOnlyList<SqliteTable> tables)
    {
        // AUTOINCREMENT counters may run ahead of the largest rowid (deleted rows): keep the source's.
        bool targetHasSequences = Sql.Int64(connection, "SELECT count(*) FROM main.sqlite_schema WHERE name = 'sqlite_sequence'") > 0;
        if (schema.HasSequences && targetHasSequences)
        {
            foreach (var table in tables)
            {
                Sql.Execute(connection, "DELETE FROM main.sqlite_sequence WHERE name = $t", ("$t", table.Name));
                Sql.Execute(connection, "INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM src.sqlite_sequence WHERE name = $t", ("$t", table.Name));
            }
        }

        // ANALYZE statistics steer the query planner; the target should plan queries as the source did.
        if (schema.HasStatistics && tables.Count > 0)
        {
            Sql.Execute(connection, "ANALYZE main.sqlite_schema");
            Sql.Execute(connection, "DELETE FROM main.sqlite_stat1");
            foreach (var table in tables)
            {
                Sql.Execute(connection, "INSERT INTO main.sqlite_stat1 (tbl, idx, stat) SELECT tbl, idx, stat FROM src.sqlite_stat1 WHERE tbl = $t", ("$t", table.Name));
            }
        }
    }

    private static long PageBytes(SqliteConnection connection) =>
        Sql.Int64(connection, "PRAGMA main.page_count") * Sql.Int64(connection, "PRAGMA main.page_size");
}
