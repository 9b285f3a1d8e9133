using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Rollback after cutover: the target's baseline, its changes, copy-back and backup.</summary>
public sealed partial class SqliteDatabaseProvider
{
    /// <inheritdoc/>
    public bool SupportsTargetChanges => true;

    /// <inheritdoc/>
    /// <remarks>
    /// <para>
    /// In one <c>BEGIN IMMEDIATE</c> transaction on the target: creates <c>_dmig_target_changes</c> and, on every table
    /// of the target (and the per-row shadow table of each virtual table), <c>AFTER</c> triggers
    /// <c>dmig_target_capture_&lt;table&gt;_&lt;op&gt;</c> that append the changed row's key, and
    /// <c>_dmig_target_baseline</c> with the schema's fingerprint and each table's row count (<see cref="TargetCapture"/>).
    /// The triggers only add rows to that table: applications see no other difference (and one more row written per
    /// row they write). The change sync writes the target with triggers off, so the migration's own writes are not
    /// recorded: the baseline may be recorded any time after the data copy, and is at the latest before consumers switch.
    /// </para>
    /// <para>
    /// Idempotent: an intact baseline (same schema, every trigger present) is kept with everything it recorded
    /// (<see cref="TargetBaseline.AlreadyRecorded"/>); a damaged one is replaced (logged as a warning). Refuses
    /// (non-retriably) a target that is not a finished copy.
    /// </para>
    /// </remarks>
    public Task<TargetBaseline> RecordTargetBaselineAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        RunAsync(endpoints, "recording the target's baseline", job => Task.FromResult(RecordBaseline(job)), cancellationToken);

    /// <inheritdoc/>
    /// <remarks>
    /// Reads the target in one snapshot: the change records after the last copy-back (distinct keys per table; change
    /// records for a table without a usable key and for virtual tables), the row count of every table without any
    /// recorded change against its baseline count (a difference means writes past the triggers: <see cref="TargetChangeState.Changed"/>,
    /// copied back whole), and whether every capture trigger is still there and the schema unchanged. No target (or an
    /// empty file): <see cref="TargetChangeState.NoTarget"/>. <see cref="TargetChangeState.Unknown"/>: no baseline, a
    /// capture trigger dropped, the schema changed, a virtual table without a watchable shadow table, or a file
    /// DurableMigration did not write. It takes no write lock.
    /// </remarks>
    public Task<TargetChanges> GetTargetChangesAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        RunAsync(endpoints, "reading the target's changes", job => Task.FromResult(ReadTargetChanges(job)), cancellationToken);

    /// <inheritdoc/>
    /// <remarks>
    /// <para>
    /// Three steps. (1) While the target is still writable, a catch-up pass applies the changes recorded so far. (2) The
    /// target is made read-only by the source's mechanism (<c>dmig_readonly_*</c> <c>BEFORE</c> triggers raising
    /// <see cref="ReadOnlyMessage"/>; the capture table and this tool's tables take none): from here on a write to the
    /// target fails, so none can be lost. (3) The final pass applies what came since, copies whole every table whose
    /// changes were not recorded (see <see cref="GetTargetChangesAsync"/>; all of them when there is no baseline:
    /// <see cref="ChangeSyncResult.FullCopy"/>), then records a fresh baseline when it had to, so that the target now
    /// reads as <see cref="TargetChangeState.Unchanged"/>.
    /// </para>
    /// <para>
    /// Each pass is one transaction on the source with the target attached read-only: one snapshot of the target, a write
    /// lock on the source only. The source connection runs with triggers off (<c>SQLITE_DBCONFIG_ENABLE_TRIGGER</c>):
    /// the source's read-only triggers do not stop these writes, and the application triggers that already ran on the
    /// target, whose writes are recorded too, do not run twice. The source's read-only (or writable) state is left as it
    /// was. Foreign keys are off; AUTOINCREMENT counters follow the target.
    /// </para>
    /// <para>
    /// Refuses (non-retriably) when the target's schema changed since its baseline or differs from the source's. When
    /// the source is already writable again, rows written to it since are overwritten by the target's for the same keys
    /// (logged as a warning): call this before <see cref="MakeSourceWritableAsync"/>. Idempotent; no target, nothing to do.
    /// <see cref="ChangeSyncResult.Final"/> is <c>true</c> (the target is read-only); <see cref="ChangeSyncResult.Elapsed"/> covers both passes.
    /// </para>
    /// </remarks>
    public Task<ChangeSyncResult> CopyBackAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        RunAsync(endpoints, "copy-back", job => Task.FromResult(CopyBack(job)), cancellationToken);

    /// <inheritdoc/>
    /// <remarks>
    /// Creates, in one transaction, the <c>dmig_readonly_*</c> triggers of <see cref="MakeSourceReadOnlyAsync"/> on every
    /// table of the target (shadow tables included; the marker, baseline and capture tables take none). Refuses
    /// (non-retriably) a file DurableMigration did not write; no target, nothing to do.
    /// </remarks>
    public Task MakeTargetReadOnlyAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        RunAsync(endpoints, "making the target read-only", job => Task.FromResult(MakeTargetReadOnly(job)), cancellationToken);

    /// <inheritdoc/>
    /// <remarks>
    /// <c>VACUUM INTO</c> a file named <c>&lt;database&gt;.&lt;yyyyMMddTHHmmssfffZ&gt;.&lt;target file name&gt;</c> (characters
    /// other than letters, digits, <c>.</c>, <c>-</c> and <c>_</c> replaced by <c>_</c>) in <paramref name="backupDirectory"/>:
    /// one consistent snapshot of the target read under a read lock, written as <c>.partial</c>, flushed to disk and
    /// renamed, so a file with the final name is always a complete database. It holds everything the target holds,
    /// this tool's tables and triggers included. Returns <c>null</c> when there is no target.
    /// </remarks>
    public Task<string?> BackupTargetAsync(MigrationEndpoints endpoints, string backupDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(backupDirectory);
        return RunAsync(endpoints, "backing up the target", job => Task.FromResult(BackupTarget(job, backupDirectory)), cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Drops the target's capture triggers, <c>_dmig_target_changes</c> and <c>_dmig_target_baseline</c>, and the read-only
    /// triggers a copy-back put on the target. A missing target, or a file DurableMigration did not write, is left alone.
    /// </remarks>
    public Task ForgetTargetBaselineAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        RunAsync(endpoints, "removing the target's baseline", job => Task.FromResult(ForgetBaseline(job)), cancellationToken);

    private TargetBaseline RecordBaseline(Job job)
    {
        RequireDistinct(job);
        var target = job.Target;
        var inspection = MigrationMarker.Inspect(target);
        if (inspection is not { Kind: TargetKind.Marked, State: MigrationMarker.Copied })
        {
            string what = inspection.Kind switch
            {
                TargetKind.Absent or TargetKind.Empty => "it does not exist",
                TargetKind.Marked => $"its copy is not finished (state {inspection.State ?? "unknown"})",
                _ => "it holds data DurableMigration did not write",
            };
            throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': cannot record the baseline of the target file '{target.FileName}': {what}. Record it after the data copy and the final sync, before consumers switch to the target.");
        }

        job.Writing(target);
        using var connection = target.Open(SqliteOpenMode.ReadWrite);
        TargetBaseline? result = null;
        string? replaced = null;
        Sql.InTransaction(
            connection,
            () =>
            {
                var schema = SqliteSchema.Read(connection, "main");
                var plan = MigrationPlan.Create(schema, null);
                var existing = TargetCapture.Read(connection, "main");
                if (existing is not null)
                {
                    var missing = TargetCapture.MissingTriggers(schema, plan);
                    if (existing.Plan == plan.Fingerprint && missing.Count == 0)
                    {
                        result = Baseline(existing, plan, alreadyRecorded: true);
                        return;
                    }

                    replaced = existing.Plan != plan.Fingerprint ? "the target's schema changed since" : $"{missing.Count} capture trigger(s) were missing";
                }

                result = Baseline(TargetCapture.Install(connection, plan, _timeProvider.GetUtcNow()), plan, alreadyRecorded: false);
            },
            immediate: true);

        if (replaced is not null)
        {
            Logs.BaselineReplaced(_logger, job.Database, replaced);
        }

        Logs.BaselineRecorded(_logger, job.Database, result!.Tables, result.Rows, result.AlreadyRecorded);
        return result;
    }

    private static TargetBaseline Baseline(BaselineState state, MigrationPlan plan, bool alreadyRecorded) =>
        new(true, state.Id, state.RecordedAt, plan.Tables.Count + plan.VirtualTables.Count, state.Rows.Values.Sum(), alreadyRecorded);

    private static TargetChanges ReadTargetChanges(Job job)
    {
        var target = job.Target;
        var inspection = MigrationMarker.Inspect(target);
        switch (inspection.Kind)
        {
            case TargetKind.Absent or TargetKind.Empty:
                return new TargetChanges(TargetChangeState.NoTarget, 0, [], null);
            case TargetKind.Foreign or TargetKind.NotADatabase:
                return TargetChanges.UnknownChanges($"the target file '{target.FileName}' holds data DurableMigration did not write");
        }

        job.Reading(target);
        using var connection = target.Open(SqliteOpenMode.ReadOnly);
        TargetAnalysis? analysis = null;
        Sql.InTransaction(connection, () => analysis = TargetCapture.Analyze(connection, "main"));
        return analysis!.Changes;
    }

    private ChangeSyncResult CopyBack(Job job)
    {
        var stopwatch = Stopwatch.StartNew();
        RequireDistinct(job);
        var target = job.Target;
        var inspection = MigrationMarker.Inspect(target);
        if (inspection.Kind is TargetKind.Absent or TargetKind.Empty)
        {
            Logs.NothingToCopyBack(_logger, job.Database);
            return new ChangeSyncResult(0, 0, 0, [], stopwatch.Elapsed, Final: true, FullCopy: false);
        }

        if (inspection.Kind != TargetKind.Marked)
        {
            throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': the target file '{target.FileName}' holds data DurableMigration did not write; refusing to copy it into the source.");
        }

        var (sourceSchema, sourcePlan) = ReadSource(job);
        if (!IsReadOnly(sourceSchema, sourcePlan))
        {
            Logs.CopyBackSourceWritable(_logger, job.Database);
        }

        // (1) Catch up while consumers may still write to the target: the final pass, inside the window, has less to do.
        var passes = new List<AppliedRecords>();
        if (!TargetIsReadOnly(job))
        {
            passes.Add(ApplyBack(job, sourcePlan, final: false).Applied);
        }

        // (2) From here on a write to the target fails instead of being lost.
        MakeTargetReadOnly(job);

        // (3) Everything else.
        var (applied, fullCopy) = ApplyBack(job, sourcePlan, final: true);
        passes.Add(applied);
        var perTable = passes.SelectMany(p => p.Tables)
            .GroupBy(t => t.Table, StringComparer.OrdinalIgnoreCase)
            .Select(g => new TableSyncResult(g.Key, g.Sum(t => t.ChangedRows), g.Any(t => t.Whole)))
            .ToList();
        var result = new ChangeSyncResult(passes.Sum(p => p.Changed), passes.Sum(p => p.Written), passes.Sum(p => p.Deleted), perTable, stopwatch.Elapsed, Final: true, fullCopy);
        Logs.CopiedBack(_logger, job.Database, result.ChangedRows, result.RowsWritten, result.RowsDeleted, fullCopy, (long)result.Elapsed.TotalMilliseconds);
        return result;
    }

    private bool MakeTargetReadOnly(Job job)
    {
        RequireDistinct(job);
        var target = job.Target;
        var inspection = MigrationMarker.Inspect(target);
        if (inspection.Kind is TargetKind.Absent or TargetKind.Empty)
        {
            return false;
        }

        if (inspection.Kind != TargetKind.Marked)
        {
            throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': the target file '{target.FileName}' holds data DurableMigration did not write; refusing to change it.");
        }

        job.Writing(target);
        using var connection = target.Open(SqliteOpenMode.ReadWrite);
        var (created, tables) = CreateReadOnlyTriggers(connection);
        Logs.TargetMadeReadOnly(_logger, job.Database, created, tables);
        return true;
    }

    private static bool TargetIsReadOnly(Job job)
    {
        job.Reading(job.Target);
        using var connection = job.Target.Open(SqliteOpenMode.ReadOnly);
        var schema = SqliteSchema.Read(connection, "main");
        return IsReadOnly(schema, MigrationPlan.Create(schema, null));
    }

    /// <summary>One copy-back pass: the target's recorded changes (and, when <paramref name="final"/>, every table copied whole) applied to the source in one transaction.</summary>
    private (AppliedRecords Applied, bool FullCopy) ApplyBack(Job job, MigrationPlan sourcePlan, bool final)
    {
        var source = job.Source;
        var target = job.Target;
        job.Writing(source);
        TargetAnalysis? analysis = null;
        var applied = AppliedRecords.None;
        using (var connection = source.Open(SqliteOpenMode.ReadWrite, byUri: true))
        {
            // Triggers off: the source's read-only triggers must not stop these writes, and its application triggers
            // already ran on the target, where their writes were recorded too.
            int rc = raw.sqlite3_db_config(connection.Handle, EnableTriggerOption, 0, out _);
            SqliteException.ThrowExceptionForRC(rc, connection.Handle);
            Sql.Execute(connection, "PRAGMA foreign_keys = OFF");
            Sql.Execute(connection, $"ATTACH DATABASE {Sql.Literal(target.Uri + "?mode=ro")} AS src");

            // A deferred transaction: a read lock on the target (one snapshot of it), a write lock on the source only.
            job.Reading(target);
            Sql.InTransaction(connection, () =>
            {
                analysis = TargetCapture.Analyze(connection, "src");
                if (analysis.SchemaChanged)
                {
                    throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': cannot copy the target's changes back: {analysis.Changes.Reason}. Keep a backup of the target (discard with backup) and reconcile by hand.");
                }

                if (analysis.Plan.Fingerprint != sourcePlan.Fingerprint)
                {
                    throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': cannot copy the target's changes back: the schemas of source and target differ (the source's schema changed since cutover, or the table filter changed). Keep a backup of the target (discard with backup) and reconcile by hand.");
                }

                if (analysis.Baseline is null && !final)
                {
                    return; // nothing recorded to catch up with; the final pass copies everything
                }

                string? changes = analysis.Baseline is null ? null : $"src.{Sql.Quote(SqliteSchema.TargetChangesTable)}";
                job.Writing(source);
                applied = ApplyRecords(connection, analysis.Plan, changes, analysis.Baseline?.CopiedSeq ?? 0, analysis.Last, final ? analysis.Whole : new Dictionary<string, long>());
            });
            Sql.Execute(connection, "DETACH DATABASE src");
        }

        // Progress goes to the target after the source committed: a crash in between applies the same records again,
        // which is harmless (rows are copied as the target holds them now).
        var result = analysis!;
        job.Writing(target);
        using var progress = target.Open(SqliteOpenMode.ReadWrite);
        if (final && result.RepairNeeded)
        {
            // The target is read-only now and the source holds all of it: a fresh baseline makes it read as unchanged.
            Sql.InTransaction(
                progress,
                () =>
                {
                    var plan = MigrationPlan.Create(SqliteSchema.Read(progress, "main"), null);
                    if (plan.Fingerprint == result.Plan.Fingerprint)
                    {
                        TargetCapture.Install(progress, plan, _timeProvider.GetUtcNow());
                    }
                },
                immediate: true);
        }
        else if (result.Baseline is not null)
        {
            TargetCapture.SetCopiedSeq(progress, result.Last);
        }

        return (applied, result.Baseline is null);
    }

    private string? BackupTarget(Job job, string backupDirectory)
    {
        var target = job.Target;
        if (!target.Exists || new FileInfo(target.Path).Length == 0)
        {
            return null;
        }

        Directory.CreateDirectory(backupDirectory);
        string stamp = _timeProvider.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);
        string name = $"{SafeFileName(job.Database)}.{stamp}.{SafeFileName(target.FileName)}";
        string path = Path.Combine(backupDirectory, name);
        for (int i = 2; File.Exists(path); i++)
        {
            path = Path.Combine(backupDirectory, $"{SafeFileName(job.Database)}.{stamp}-{i.ToString(CultureInfo.InvariantCulture)}.{SafeFileName(target.FileName)}");
        }

        string partial = path + ".partial";
        File.Delete(partial);
        job.Reading(target);
        using (var connection = target.Open(SqliteOpenMode.ReadOnly))
        {
            Sql.Execute(connection, "VACUUM INTO $path", ("$path", partial));
        }

        long bytes;
        using (var file = new FileStream(partial, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Flush(flushToDisk: true);
            bytes = file.Length;
        }

        File.Move(partial, path);
        Logs.TargetBackedUp(_logger, job.Database, Path.GetFileName(path), bytes);
        return path;
    }

    private static string SafeFileName(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        }

        return text.Length == 0 ? "_" : text.ToString();
    }

    private bool ForgetBaseline(Job job)
    {
        RequireDistinct(job);
        var target = job.Target;
        if (MigrationMarker.Inspect(target).Kind != TargetKind.Marked)
        {
            return false;
        }

        job.Writing(target);
        using var connection = target.Open(SqliteOpenMode.ReadWrite);
        bool removed = false;
        Sql.InTransaction(connection, () => removed = TargetCapture.RemoveObjects(connection), immediate: true);
        int dropped = DropReadOnlyTriggers(connection);
        Logs.BaselineForgotten(_logger, job.Database, removed, dropped);
        return true;
    }
}
