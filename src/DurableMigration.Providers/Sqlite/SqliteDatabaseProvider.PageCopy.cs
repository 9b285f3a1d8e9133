using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DurableMigration.Providers.Sqlite;

/// <summary>The data copy of a whole database, page by page.</summary>
public sealed partial class SqliteDatabaseProvider
{
    /// <summary>What progress reports name as the table during a page copy, which moves pages, not tables.</summary>
    internal const string AllTables = "(all tables)";

    /// <summary>The suffix of the file a page copy writes before it replaces the target with it.</summary>
    internal const string PageCopySuffix = ".dmig-copy";

    /// <summary>A page copy when every table moves and the source is large enough for speed to matter (see <see cref="SqliteProviderOptions.PageCopyThresholdBytes"/>).</summary>
    private bool UsesPageCopy(SqliteSchema schema, MigrationPlan plan) =>
        plan.TablesLeftBehind.Count == 0 && plan.DependentsLeftBehind.Count == 0 && plan.BlockedVirtualTables.Count == 0
        && schema.SizeBytes >= _options.PageCopyThresholdBytes;

    /// <summary>
    /// Copies the source's pages as they are (SQLite's online backup) into a file beside the target, inside one read
    /// transaction of the source, removes what the provider keeps on the source (change capture, read-only triggers,
    /// an earlier migration's marker), marks the copy, and renames it over the target.
    /// </summary>
    private async Task<DataCopyResult> CopyPagesAsync(Job job, SqliteSchema schema, MigrationPlan plan, IProgress<CopyProgress> progress, string? capture)
    {
        var target = job.Target;
        var partial = target.WithSuffix(PageCopySuffix);
        var stopwatch = Stopwatch.StartNew();

        // The target itself changes only at the end; until then it says that a copy is under way, as the row copy's does.
        job.Writing(target);
        using (var marked = target.Open(SqliteOpenMode.ReadWrite))
        {
            MigrationMarker.SetState(marked, MigrationMarker.Copying, _timeProvider.GetUtcNow());
        }

        partial.Delete(); // what an attempt cut short left
        try
        {
            DataCopyResult result;
            List<SourceChecksum> checksums;

            // The source's checksums for validation, from cycles the copy leaves idle (see SourceChecksums and IdleThread).
            using (var hashing = StartSourceHashing(job, schema, plan.Tables, capture))
            {
                result = await CopyPagesIntoAsync(job, plan, partial, progress).ConfigureAwait(false);
                checksums = WaitForSourceChecksums(job, hashing);
            }

            job.CancellationToken.ThrowIfCancellationRequested();
            FinishPageCopy(job, plan, partial, capture, checksums);

            // The old target is ours (checked before the copy) and closed: no journal of it may meet the new file.
            job.Writing(target);
            foreach (string sidecar in target.SidecarPaths)
            {
                File.Delete(sidecar);
            }

            FileReplacement.Replace(partial.Path, target.Path);
            if (string.Equals(schema.JournalMode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                using var connection = target.Open(SqliteOpenMode.ReadWrite);
                Sql.Execute(connection, "PRAGMA main.journal_mode = WAL");
            }

            Logs.DataCopied(_logger, job.Database, result.Rows, result.Tables.Count, result.Bytes, stopwatch.ElapsedMilliseconds);
            return result;
        }
        catch
        {
            partial.Delete();
            throw;
        }
    }

    private async Task<DataCopyResult> CopyPagesIntoAsync(Job job, MigrationPlan plan, SqliteFile partial, IProgress<CopyProgress> progress)
    {
        var stopwatch = Stopwatch.StartNew();
        job.Reading(job.Source);
        using var source = job.Source.Open(SqliteOpenMode.ReadOnly);

        // One read transaction: the snapshot the schema, the row counts and every page come from. In WAL mode writers
        // go on meanwhile; in rollback-journal mode their commits wait for it, as for any reader. Closing the
        // connection ends it.
        Sql.Execute(source, "BEGIN");
        var schema = SqliteSchema.Read(source, "main");
        var snapshot = MigrationPlan.Create(schema, job.Endpoints.Tables);
        if (snapshot.Fingerprint != plan.Fingerprint)
        {
            throw new DatabaseProviderException(job.Database, $"Database '{job.Database}': the source schema changed while the copy started; a retry rebuilds the target from the new schema.");
        }

        var tables = snapshot.ContentTables
            .Select(name => new TableCopyResult(name, Sql.Int64(source, $"SELECT count(*) FROM main.{Sql.Quote(name)}")))
            .ToList();
        long rows = tables.Sum(t => t.Rows);

        long pageSize = schema.PageSize;
        long pages = schema.PageCount;
        int pagesPerStep = PagesPerStep(rows, pages);

        job.Writing(job.Target); // the partial file is the target's
        var destination = partial.Open(SqliteOpenMode.ReadWriteCreate);
        var flush = new BackgroundFlush(partial.Path);
        try
        {
            // No journal and no fsync: an attempt cut short is deleted, never resumed; the finish syncs the file.
            Sql.Execute(destination, "PRAGMA main.journal_mode = OFF; PRAGMA main.synchronous = OFF");
            long copiedPages = CopyPages(job, source, destination, pagesPerStep, done =>
            {
                double elapsed = Math.Max(0.001, stopwatch.Elapsed.TotalSeconds);
                progress.Report(new CopyProgress(AllTables, pages == 0 ? rows : Math.Min(rows, (long)(rows * (done / (double)pages))), rows, done * pageSize)
                {
                    BytesPerSecond = done * pageSize / elapsed,
                });
            });
            long bytes = copiedPages * pageSize;
            progress.Report(new CopyProgress(AllTables, rows, rows, bytes));
            return new DataCopyResult(tables, rows, bytes);
        }
        finally
        {
            // Only after the connection is closed: closing the flush's descriptor would drop SQLite's locks.
            destination.Dispose();
            await flush.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs the online backup from <paramref name="source"/> to <paramref name="destination"/>, reporting after each step; returns the pages copied.</summary>
    private static long CopyPages(Job job, SqliteConnection source, SqliteConnection destination, int pagesPerStep, Action<long> report)
    {
        var backup = raw.sqlite3_backup_init(destination.Handle, "main", source.Handle, "main");
        if (backup is null || backup.IsInvalid)
        {
            SqliteException.ThrowExceptionForRC(raw.sqlite3_errcode(destination.Handle), destination.Handle);
        }

        int rc;
        long copied = 0;
        try
        {
            while (true)
            {
                job.CancellationToken.ThrowIfCancellationRequested();
                rc = raw.sqlite3_backup_step(backup, pagesPerStep);
                copied = raw.sqlite3_backup_pagecount(backup) - raw.sqlite3_backup_remaining(backup);
                if (rc != raw.SQLITE_OK)
                {
                    break;
                }

                report(copied);
            }
        }
        finally
        {
            int finished = raw.sqlite3_backup_finish(backup);
            if (finished != raw.SQLITE_OK && !job.CancellationToken.IsCancellationRequested)
            {
                SqliteException.ThrowExceptionForRC(finished, destination.Handle);
            }
        }

        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, destination.Handle);
        }

        return copied;
    }

    /// <summary>Turns the page image of the source into the target: without the provider's objects of the source, with the target's marker, durable.</summary>
    private void FinishPageCopy(Job job, MigrationPlan plan, SqliteFile partial, string? capture, List<SourceChecksum> checksums)
    {
        using var connection = partial.Open(SqliteOpenMode.ReadWrite);
        Sql.Execute(connection, "PRAGMA main.journal_mode = DELETE; PRAGMA main.synchronous = OFF; PRAGMA foreign_keys = OFF");
        var entries = Sql.Query(connection, "SELECT type, name FROM main.sqlite_schema", r => (Type: r.GetString(0), Name: r.GetString(1)));
        Sql.InTransaction(connection, () =>
        {
            foreach (var (_, name) in entries.Where(e => e.Type == "trigger" && (SqliteSchema.IsReadOnlyTrigger(e.Name) || SqliteSchema.IsCaptureTrigger(e.Name))))
            {
                Sql.Execute(connection, $"DROP TRIGGER main.{Sql.Quote(name)}");
            }

            foreach (var (_, name) in entries.Where(e => e.Type == "table" && SqliteSchema.IsOwnTable(e.Name)))
            {
                Sql.Execute(connection, $"DROP TABLE main.{Sql.Quote(name)}");
            }

            MigrationMarker.Create(connection, job.Database, job.Source.FileName, plan.Fingerprint, _timeProvider.GetUtcNow());
        });

        // With synchronous FULL, this commit syncs the whole file, the pages the backup wrote without one too.
        Sql.Execute(connection, "PRAGMA main.synchronous = FULL");
        MarkCopied(connection, capture, checksums);
    }

    /// <summary>Pages per backup step, so that a report comes about every <see cref="SqliteProviderOptions.ProgressBatchRows"/> rows.</summary>
    private int PagesPerStep(long rows, long pages)
    {
        double rowsPerPage = pages == 0 ? 1 : Math.Max(rows / (double)pages, 1e-3);
        return (int)Math.Clamp(_options.ProgressBatchRows / rowsPerPage, 1, 65_536);
    }
}
