using DurableMigration.Manifest;

namespace DurableMigration.Providers;

/// <summary>Moves one engine's databases: assessment, schema and data copy, cutover, validation and the compensations of each step.</summary>
/// <remarks>
/// Called from activities only. Connection strings passed here are resolved secrets: never log them, never return
/// them. Every method is idempotent, because activities run at least once.
/// </remarks>
public interface IDatabaseProvider
{
    /// <summary>Gets the engine name this provider serves, lower case (<c>sqlite</c>).</summary>
    string Engine { get; }

    /// <summary>Gets a value indicating whether this provider can keep a target in sync until cutover.</summary>
    bool SupportsOnline { get; }

    /// <summary>Checks connectivity, version, size and features the target cannot take.</summary>
    Task<AssessmentReport> AssessAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default);

    /// <summary>Assesses as <see cref="AssessAsync(MigrationEndpoints, CancellationToken)"/> does, and also warns (<see cref="CommonAssessmentRules.ValidationOff"/>) when <paramref name="validation"/> compares nothing.</summary>
    /// <param name="endpoints">The database to assess.</param>
    /// <param name="validation">The database's validation settings from the manifest.</param>
    /// <param name="cancellationToken">Cancels the assessment.</param>
    async Task<AssessmentReport> AssessAsync(MigrationEndpoints endpoints, ValidationOptions validation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var report = await AssessAsync(endpoints, cancellationToken).ConfigureAwait(false);
        return CommonAssessmentRules.WithValidationFinding(report, validation);
    }

    /// <summary>Creates the target's schema (tables, indexes, views, triggers); replaces a partial target left by an earlier attempt.</summary>
    Task<SchemaCopyResult> CopySchemaAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default);

    /// <summary>Copies the data in batches, reporting progress after each batch.</summary>
    Task<DataCopyResult> CopyDataAsync(MigrationEndpoints endpoints, IProgress<CopyProgress> progress, CancellationToken cancellationToken = default);

    /// <summary>Makes the source read-only by the engine's documented mechanism, so no write is lost after the copy.</summary>
    Task MakeSourceReadOnlyAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default);

    /// <summary>Compares source and target: row counts and order-independent checksums per table, as <paramref name="options"/> asks.</summary>
    Task<ValidationReport> ValidateAsync(MigrationEndpoints endpoints, ValidationOptions options, CancellationToken cancellationToken = default);

    /// <summary>Compensation of the copy: removes the (partial) target.</summary>
    /// <remarks>
    /// It does not look at what the target holds. After cutover, when consumers may have written to the target, a caller
    /// must call <see cref="GetTargetChangesAsync"/> first and drop a target that <see cref="TargetChanges.MayHaveChanged"/>
    /// only when told to: after <see cref="CopyBackAsync"/>, or after <see cref="BackupTargetAsync"/> when the operator
    /// chose to discard the target's writes.
    /// </remarks>
    Task DropTargetAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default);

    /// <summary>Compensation of cutover: makes the source writable again.</summary>
    Task MakeSourceWritableAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default);

    /// <summary>
    /// Online mode: copies the data inside one consistent snapshot of the source and starts replication from exactly that
    /// snapshot, so every write committed on the source after it reaches the target, until <see cref="SyncChangesAsync"/>
    /// (called with the source read-only) waits for the last of them and ends the replication. Progress as in
    /// <see cref="CopyDataAsync"/>.
    /// </summary>
    /// <remarks>
    /// Idempotent: a second call (after a crash or a retry) removes what an earlier attempt left (replication objects,
    /// copied rows) and starts over. <see cref="DropTargetAsync"/> removes the replication with the target, on both sides.
    /// Only providers with <see cref="SupportsOnline"/> implement it.
    /// </remarks>
    Task<DataCopyResult> StartReplicationAsync(MigrationEndpoints endpoints, IProgress<CopyProgress> progress, CancellationToken cancellationToken = default) =>
        Task.FromException<DataCopyResult>(new NotSupportedException($"The {Engine} provider cannot keep a target in sync (online mode)."));

    /// <summary>Online mode: the replication's state and lag, read without changing anything. Fails when the replication started by <see cref="StartReplicationAsync"/> is gone or broken.</summary>
    Task<ReplicationStatus> GetReplicationStatusAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        Task.FromException<ReplicationStatus>(new NotSupportedException($"The {Engine} provider cannot keep a target in sync (online mode)."));

    /// <summary>Gets a value indicating whether <see cref="SyncChangesAsync"/> works: the provider records, from the copy on, which source rows change.</summary>
    bool SupportsChangeSync => false;

    /// <summary>
    /// Applies to the target exactly the source rows that changed since the data copy began (and since the last sync),
    /// whatever validation is set to. With the source read-only (after <see cref="MakeSourceReadOnlyAsync"/>) this is the
    /// final sync: nothing can change any more, and the provider removes its change recording from the source. Called
    /// while the source is still writable, it catches the target up and keeps recording, so the final sync, inside the
    /// write-blocked window, has less to do.
    /// </summary>
    /// <remarks>
    /// Idempotent. Its cost follows the number of changed rows, not the database's size; a provider that finds no
    /// record to work from copies everything again and says so (<see cref="ChangeSyncResult.FullCopy"/>). In online mode
    /// (after <see cref="StartReplicationAsync"/>) the final sync waits until the replication has applied the source's
    /// last write, brings sequences up to the source's, and ends the replication on both sides.
    /// </remarks>
    Task<ChangeSyncResult> SyncChangesAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        Task.FromException<ChangeSyncResult>(new NotSupportedException($"The {Engine} provider does not record changes; copy the data again to catch up."));

    /// <summary>Gets a value indicating whether the provider records a target's changes after cutover, so that a rollback can tell whether it would discard writes (<see cref="GetTargetChangesAsync"/>) and copy them back (<see cref="CopyBackAsync"/>).</summary>
    bool SupportsTargetChanges => false;

    /// <summary>
    /// Records the target's state at cutover, so that every later change to it is known and can be copied back to the
    /// source. Call it once the target holds the migration's last write (after the final <see cref="SyncChangesAsync"/> and
    /// post-validation) and before consumers are switched to the target. Idempotent: an intact baseline is kept as it is,
    /// with what it recorded since.
    /// </summary>
    /// <remarks>A provider that cannot record one returns <see cref="TargetBaseline.NotRecorded"/>; its <see cref="GetTargetChangesAsync"/> then says <see cref="TargetChangeState.Unknown"/>.</remarks>
    Task<TargetBaseline> RecordTargetBaselineAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        Task.FromResult(TargetBaseline.NotRecorded);

    /// <summary>
    /// Tells whether the target changed since its baseline (<see cref="RecordTargetBaselineAsync"/>) and the last
    /// <see cref="CopyBackAsync"/>, and how much: what dropping it now would discard. A target that exists without a
    /// usable baseline is <see cref="TargetChangeState.Unknown"/>: treat it as changed.
    /// </summary>
    /// <remarks>Reads only; it never changes the target.</remarks>
    Task<TargetChanges> GetTargetChangesAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        Task.FromResult(TargetChanges.UnknownChanges($"the {Engine} provider does not record a target's changes; treat the target as changed"));

    /// <summary>
    /// Reverse sync, for a rollback after cutover: makes the target read-only, then applies to the source exactly the
    /// target's changes since its baseline (and since the last copy-back), so that every acknowledged write to the
    /// target is in the source. The source's read-only state is left as it was.
    /// </summary>
    /// <remarks>
    /// Order for a rollback that keeps the target's writes: <c>CopyBackAsync</c>, then <see cref="MakeSourceWritableAsync"/>,
    /// then switch consumers back, then <see cref="DropTargetAsync"/>. Writes to the target are refused from the copy-back
    /// on (not lost: the writer gets an error), and to the source until it is writable. Idempotent: a second call finds
    /// nothing left. <see cref="ChangeSyncResult.FullCopy"/> says that no baseline was usable, so every table was copied back whole.
    /// </remarks>
    Task<ChangeSyncResult> CopyBackAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        Task.FromException<ChangeSyncResult>(new NotSupportedException($"The {Engine} provider cannot copy a target's changes back to the source."));

    /// <summary>
    /// Makes the target read-only by the mechanism <see cref="MakeSourceReadOnlyAsync"/> uses on a source, so that no write
    /// reaches it unseen any more (a writer gets an error instead): before <see cref="BackupTargetAsync"/> when a rollback
    /// discards the target, so that the backup holds every acknowledged write. <see cref="CopyBackAsync"/> does it itself.
    /// Idempotent; <see cref="ForgetTargetBaselineAsync"/> undoes it.
    /// </summary>
    Task MakeTargetReadOnlyAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        Task.FromException(new NotSupportedException($"The {Engine} provider cannot make a target read-only."));

    /// <summary>
    /// Writes a consistent copy of the target into a new, time-stamped file in <paramref name="backupDirectory"/> (created if
    /// missing) and returns that file's path; <c>null</c> when there is no target to back up. For a rollback that discards
    /// the target's writes: <see cref="MakeTargetReadOnlyAsync"/>, <c>BackupTargetAsync</c>, <see cref="MakeSourceWritableAsync"/>,
    /// switch consumers back, then <see cref="DropTargetAsync"/>.
    /// </summary>
    /// <remarks>Each call writes a new file; the target is not changed.</remarks>
    Task<string?> BackupTargetAsync(MigrationEndpoints endpoints, string backupDirectory, CancellationToken cancellationToken = default) =>
        Task.FromException<string?>(new NotSupportedException($"The {Engine} provider cannot back up a target."));

    /// <summary>
    /// Removes what <see cref="RecordTargetBaselineAsync"/>, <see cref="MakeTargetReadOnlyAsync"/> and <see cref="CopyBackAsync"/> put in the target, leaving it
    /// writable and without change recording: for when the migration is accepted for good (finish), after which a
    /// rollback can no longer tell what it would discard. Idempotent; a missing target is fine.
    /// </summary>
    Task ForgetTargetBaselineAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => Task.CompletedTask;
}

/// <summary>Resolved source and target of one database migration.</summary>
/// <param name="Database">The database's name in the wave (for messages).</param>
/// <param name="SourceConnection">The resolved source connection string: a secret.</param>
/// <param name="TargetConnection">The resolved target connection string: a secret.</param>
/// <param name="Tables">Which tables to move; all when <c>null</c>.</param>
public sealed record MigrationEndpoints(string Database, string SourceConnection, string TargetConnection, TableFilter? Tables)
{
    /// <summary>Gets the wave's mode: assessment checks what online mode needs only for <see cref="MigrationMode.Online"/>.</summary>
    public MigrationMode Mode { get; init; } = MigrationMode.Offline;

    /// <summary>Gets where an Azure Database Migration Service migration writes (the manifest's <c>target.azure</c>); <c>null</c> for engines that move data themselves.</summary>
    public AzureTargetSpec? Azure { get; init; }

    /// <summary>Gets the resolved key of <see cref="AzureBackupSpec.AccountKey"/>: a secret, like the connections; <c>null</c> without a backup.</summary>
    public string? BackupAccountKey { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"MigrationEndpoints {{ Database = {Database} }}"; // never print connections or keys
}

/// <summary>Severity of an assessment finding.</summary>
public enum FindingSeverity
{
    /// <summary>Worth knowing; does not stop the wave.</summary>
    Information,

    /// <summary>May cause trouble; does not stop the wave.</summary>
    Warning,

    /// <summary>Stops the wave before anything is touched.</summary>
    Blocking,
}

/// <summary>One thing assessment found.</summary>
/// <param name="Rule">A stable rule id, such as <c>sqlite.integrity</c>.</param>
/// <param name="Severity">How serious it is.</param>
/// <param name="Message">What was found and what to do about it; no secrets.</param>
/// <param name="Object">The table or object concerned, if any.</param>
public sealed record AssessmentFinding(string Rule, FindingSeverity Severity, string Message, string? Object = null);

/// <summary>Assessment rules every engine shares.</summary>
public static class CommonAssessmentRules
{
    /// <summary>Warning: validation compares nothing (row counts and checksums are both off).</summary>
    public const string ValidationOff = "validation.off";

    /// <summary>Returns <paramref name="report"/> with a <see cref="ValidationOff"/> warning added when <paramref name="validation"/> compares nothing.</summary>
    public static AssessmentReport WithValidationFinding(AssessmentReport report, ValidationOptions validation)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(validation);
        if (validation.RowCounts || validation.Checksums || report.Findings.Any(f => f.Rule == ValidationOff))
        {
            return report;
        }

        var finding = new AssessmentFinding(
            ValidationOff,
            FindingSeverity.Warning,
            $"Validation of database '{report.Database}' compares nothing: row counts and checksums are both off, so the target will never be compared with the source and its validation reports 'not validated'. Turn on row counts at least (checksums also catch changed values).");
        return report with { Findings = [.. report.Findings, finding] };
    }
}

/// <summary>The result of assessing one database.</summary>
/// <param name="Database">The database's name in the wave.</param>
/// <param name="EngineVersion">The source engine's version.</param>
/// <param name="SizeBytes">The source's size.</param>
/// <param name="Tables">How many tables would move.</param>
/// <param name="Findings">What was found.</param>
public sealed record AssessmentReport(string Database, string EngineVersion, long SizeBytes, int Tables, IReadOnlyList<AssessmentFinding> Findings)
{
    /// <summary>Gets a value indicating whether any finding blocks the wave.</summary>
    public bool IsBlocked => Findings.Any(f => f.Severity == FindingSeverity.Blocking);
}

/// <summary>What the schema copy created.</summary>
/// <param name="Tables">Tables created.</param>
/// <param name="Indexes">Indexes created.</param>
/// <param name="Views">Views created.</param>
/// <param name="Triggers">Triggers created.</param>
public sealed record SchemaCopyResult(int Tables, int Indexes, int Views, int Triggers);

/// <summary>Progress of a data copy, reported after each batch.</summary>
/// <param name="Table">The table being copied.</param>
/// <param name="RowsCopied">Rows copied so far, all tables.</param>
/// <param name="RowsTotal">Rows to copy, all tables.</param>
/// <param name="BytesCopied">Bytes of row data copied so far.</param>
public sealed record CopyProgress(string Table, long RowsCopied, long RowsTotal, long BytesCopied)
{
    /// <summary>Gets the tables copied most recently (those in flight first), with their rows and bytes so far, when the provider reports them; <c>null</c> otherwise.</summary>
    public IReadOnlyList<TableProgress>? Tables { get; init; }

    /// <summary>Gets the rows read from the source so far, when the engine that moves the data reports it apart from <see cref="RowsCopied"/> (Database Migration Service does); <c>null</c> otherwise.</summary>
    public long? RowsRead { get; init; }

    /// <summary>Gets the copy's current throughput in bytes per second, when the engine that moves the data reports one; <c>null</c> otherwise.</summary>
    public double? BytesPerSecond { get; init; }
}

/// <summary>Progress of one table's copy.</summary>
/// <param name="Table">The table.</param>
/// <param name="Rows">Rows copied so far.</param>
/// <param name="Bytes">Bytes of row data copied so far.</param>
/// <param name="Done">Whether the table is copied completely.</param>
public sealed record TableProgress(string Table, long Rows, long Bytes, bool Done);

/// <summary>What the data copy moved.</summary>
/// <param name="Tables">Per table: name and rows.</param>
/// <param name="Rows">Rows copied, all tables.</param>
/// <param name="Bytes">Bytes of row data copied.</param>
public sealed record DataCopyResult(IReadOnlyList<TableCopyResult> Tables, long Rows, long Bytes);

/// <summary>What a change sync applied to the target.</summary>
/// <param name="ChangedRows">Source rows that changed since the copy (or the last sync), all tables: distinct keys for tables with a key, change records for tables synced whole.</param>
/// <param name="RowsWritten">Rows inserted or replaced in the target.</param>
/// <param name="RowsDeleted">Rows deleted from the target.</param>
/// <param name="Tables">The tables that changed.</param>
/// <param name="Elapsed">How long the sync took: with the source read-only, the write-blocked window this step adds.</param>
/// <param name="Final">Whether the source was read-only, so that the target now holds every acknowledged write and the change recording is gone from the source.</param>
/// <param name="FullCopy">Whether there was no change record to work from (the source changed outside the recording, or the target is not the copy the recording began with), so that everything was copied again.</param>
public sealed record ChangeSyncResult(long ChangedRows, long RowsWritten, long RowsDeleted, IReadOnlyList<TableSyncResult> Tables, TimeSpan Elapsed, bool Final, bool FullCopy);

/// <summary>What a change sync did to one table.</summary>
/// <param name="Table">The table.</param>
/// <param name="ChangedRows">Its changed rows (distinct keys; change records when synced whole).</param>
/// <param name="Whole">Whether it was synced whole rather than row by row (a table without a usable key, a virtual table).</param>
public sealed record TableSyncResult(string Table, long ChangedRows, bool Whole);

/// <summary>The baseline of a target recorded at cutover (<see cref="IDatabaseProvider.RecordTargetBaselineAsync"/>).</summary>
/// <param name="Recorded">Whether the provider recorded one; <c>false</c> for a provider that cannot (then the target's changes are unknown).</param>
/// <param name="Id">The baseline's id, kept in the target.</param>
/// <param name="RecordedAt">When it was recorded (UTC).</param>
/// <param name="Tables">How many tables it watches.</param>
/// <param name="Rows">The rows those tables held then.</param>
/// <param name="AlreadyRecorded">Whether an intact baseline was already there and was kept (a repeated call).</param>
public sealed record TargetBaseline(bool Recorded, string? Id, DateTimeOffset? RecordedAt, int Tables, long Rows, bool AlreadyRecorded)
{
    /// <summary>Gets the result of a provider that records no baseline.</summary>
    public static TargetBaseline NotRecorded { get; } = new(false, null, null, 0, 0, false);
}

/// <summary>Whether a target changed since its baseline.</summary>
public enum TargetChangeState
{
    /// <summary>The target does not exist: dropping it discards nothing.</summary>
    NoTarget,

    /// <summary>Nothing changed since the baseline (or everything that did was copied back).</summary>
    Unchanged,

    /// <summary>Rows changed, and the provider knows which.</summary>
    Changed,

    /// <summary>The provider cannot tell (no baseline, its recording damaged, the schema changed): treat the target as changed.</summary>
    Unknown,
}

/// <summary>What changed in a target since its baseline and the last copy-back (<see cref="IDatabaseProvider.GetTargetChangesAsync"/>).</summary>
/// <param name="State">Whether it changed.</param>
/// <param name="ChangedRows">Changed rows, all tables: distinct keys, or change records for tables that can only be copied whole.</param>
/// <param name="Tables">The tables that changed (or may have).</param>
/// <param name="Reason">Why the state is <see cref="TargetChangeState.Unknown"/>, or what else is worth knowing; no secrets.</param>
public sealed record TargetChanges(TargetChangeState State, long ChangedRows, IReadOnlyList<TargetTableChanges> Tables, string? Reason)
{
    /// <summary>Gets a value indicating whether dropping the target may discard writes: <see cref="TargetChangeState.Changed"/> or <see cref="TargetChangeState.Unknown"/>.</summary>
    public bool MayHaveChanged => State is TargetChangeState.Changed or TargetChangeState.Unknown;

    /// <summary>Gets one line for an operator: <c>changed since cutover: 50 row(s) in 2 table(s) (users 30, posts 20)</c>, <c>unchanged since cutover</c>, ...</summary>
    public string Summary => State switch
    {
        TargetChangeState.NoTarget => "no target",
        TargetChangeState.Unchanged => "unchanged since cutover",
        TargetChangeState.Changed => $"changed since cutover: {ChangedRows} row(s) in {Tables.Count} table(s) ({string.Join(", ", Tables.Select(t => t.Whole ? $"{t.Table} whole" : $"{t.Table} {t.ChangedRows}"))})",
        _ => $"may have changed since cutover: {Reason ?? "unknown"}",
    };

    /// <summary>Creates an <see cref="TargetChangeState.Unknown"/> answer.</summary>
    public static TargetChanges UnknownChanges(string reason) => new(TargetChangeState.Unknown, 0, [], reason);
}

/// <summary>What changed in one table of a target since its baseline.</summary>
/// <param name="Table">The table.</param>
/// <param name="ChangedRows">Its changed rows (distinct keys; change records when it can only be copied whole; 0 when unknown).</param>
/// <param name="Whole">Whether a copy-back copies it whole: no usable key, a virtual table, or changes that were not recorded.</param>
public sealed record TargetTableChanges(string Table, long ChangedRows, bool Whole);

/// <summary>The state of an online migration's replication (<see cref="IDatabaseProvider.GetReplicationStatusAsync"/>).</summary>
/// <param name="State">What the replication does, in an operator's words: <c>streaming</c>, <c>catching up</c>, <c>starting</c>.</param>
/// <param name="LagBytes">Source changes (write-ahead log) not yet applied to the target, in bytes.</param>
/// <param name="LagSeconds">How far the target trails the source, in seconds; 0 when nothing is pending, <c>null</c> when the engine cannot tell yet.</param>
/// <param name="Tables">How many tables are replicated.</param>
public sealed record ReplicationStatus(string State, long LagBytes, double? LagSeconds, int Tables)
{
    /// <summary>Tells whether the target trails by at most <paramref name="maxLagSeconds"/>: lag known and within it, or nothing pending.</summary>
    public bool IsWithin(double maxLagSeconds) => LagBytes == 0 || LagSeconds is { } lag && lag <= maxLagSeconds;
}

/// <summary>Rows copied for one table.</summary>
/// <param name="Table">The table.</param>
/// <param name="Rows">Rows copied.</param>
public sealed record TableCopyResult(string Table, long Rows);

/// <summary>The comparison of one table.</summary>
/// <param name="Table">The table.</param>
/// <param name="SourceRows">Rows in the source.</param>
/// <param name="TargetRows">Rows in the target.</param>
/// <param name="SourceChecksum">Order-independent checksum of the source rows, if compared.</param>
/// <param name="TargetChecksum">Order-independent checksum of the target rows, if compared.</param>
public sealed record TableValidation(string Table, long SourceRows, long TargetRows, string? SourceChecksum, string? TargetChecksum)
{
    /// <summary>Gets where the rows differ, when the provider could narrow it down (<c>rows differ in id 4001..5000</c>); <c>null</c> otherwise.</summary>
    public string? Difference { get; init; }

    /// <summary>Gets the table's name with <see cref="Difference"/>, for a message: <c>public.orders (rows differ in id 4001..5000)</c>.</summary>
    public string Described => Difference is null ? Table : $"{Table} ({Difference})";

    /// <summary>Gets a value indicating whether source and target agree on everything compared.</summary>
    public bool Matches => SourceRows == TargetRows && SourceChecksum == TargetChecksum;
}

/// <summary>The post-validation of one database.</summary>
/// <param name="Tables">Per-table comparisons.</param>
/// <param name="MissingInTarget">Source tables (or views, triggers, indexes) the target lacks.</param>
/// <remarks>
/// <see cref="Passed"/> alone does not say that rows were compared: with row counts and checksums both off it only
/// says that no object is missing. Read <see cref="Validated"/> (or print <see cref="Summary"/>) before saying "passed".
/// </remarks>
public sealed record ValidationReport(IReadOnlyList<TableValidation> Tables, IReadOnlyList<string> MissingInTarget)
{
    /// <summary>Gets a value indicating whether the target matches the source in everything compared.</summary>
    public bool Passed => MissingInTarget.Count == 0 && Tables.All(t => t.Matches);

    /// <summary>Gets a value indicating whether row counts were compared.</summary>
    public bool ComparedRowCounts { get; init; }

    /// <summary>Gets a value indicating whether checksums were compared.</summary>
    public bool ComparedChecksums { get; init; }

    /// <summary>Gets how many tables had their rows compared; 0 when nothing was compared.</summary>
    public int ComparedTables { get; init; }

    /// <summary>Gets a value indicating whether any rows were compared: <c>false</c> when row counts and checksums were both off.</summary>
    public bool Validated => ComparedRowCounts || ComparedChecksums;

    /// <summary>Gets one line saying what was compared and how it came out: <c>passed: compared 5 table(s) (row counts, checksums)</c>, <c>not validated: ...</c>, <c>FAILED: ...</c>.</summary>
    public string Summary
    {
        get
        {
            string checks = (ComparedRowCounts, ComparedChecksums) switch
            {
                (true, true) => "row counts, checksums",
                (true, false) => "row counts",
                _ => "checksums",
            };
            var problems = Tables.Where(t => !t.Matches).Select(t => t.Described).Concat(MissingInTarget.Select(m => m + " missing")).ToList();
            if (problems.Count > 0)
            {
                return $"FAILED: {string.Join(", ", problems)}";
            }

            return Validated
                ? $"passed: compared {ComparedTables} table(s) ({checks})"
                : "not validated: row counts and checksums are off (no object is missing)";
        }
    }
}
