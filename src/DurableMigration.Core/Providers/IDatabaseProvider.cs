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
    Task DropTargetAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default);

    /// <summary>Compensation of cutover: makes the source writable again.</summary>
    Task MakeSourceWritableAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default);

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
    /// record to work from copies everything again and says so (<see cref="ChangeSyncResult.FullCopy"/>).
    /// </remarks>
    Task<ChangeSyncResult> SyncChangesAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        Task.FromException<ChangeSyncResult>(new NotSupportedException($"The {Engine} provider does not record changes; copy the data again to catch up."));
}

/// <summary>Resolved source and target of one database migration.</summary>
/// <param name="Database">The database's name in the wave (for messages).</param>
/// <param name="SourceConnection">The resolved source connection string: a secret.</param>
/// <param name="TargetConnection">The resolved target connection string: a secret.</param>
/// <param name="Tables">Which tables to move; all when <c>null</c>.</param>
public sealed record MigrationEndpoints(string Database, string SourceConnection, string TargetConnection, TableFilter? Tables)
{
    /// <inheritdoc/>
    public override string ToString() => $"MigrationEndpoints {{ Database = {Database} }}"; // never print connections
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
public sealed record CopyProgress(string Table, long RowsCopied, long RowsTotal, long BytesCopied);

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
            var problems = Tables.Where(t => !t.Matches).Select(t => t.Table).Concat(MissingInTarget.Select(m => m + " missing")).ToList();
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
