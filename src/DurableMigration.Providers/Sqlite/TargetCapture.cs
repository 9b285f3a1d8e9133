using System.Globalization;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Sqlite;

/// <summary>A target's baseline as its <c>_dmig_target_baseline</c> table keeps it.</summary>
/// <param name="Id">The id of the target's change capture (row <c>seq = 0</c> of <c>_dmig_target_changes</c>).</param>
/// <param name="Plan">The fingerprint of the target's schema when the baseline was recorded.</param>
/// <param name="RecordedAt">When it was recorded.</param>
/// <param name="CopiedSeq">The last change record already copied back to the source.</param>
/// <param name="Rows">Rows per table when it was recorded (or last copied back whole).</param>
internal sealed record BaselineState(string Id, string Plan, DateTimeOffset RecordedAt, long CopiedSeq, IReadOnlyDictionary<string, long> Rows);

/// <summary>What a target's change recording says, read in one snapshot.</summary>
/// <param name="Plan">The target's schema as a plan (every table it holds moves back).</param>
/// <param name="Baseline">Its baseline, or <c>null</c> when it has none.</param>
/// <param name="SchemaChanged">Whether the target's schema changed since the baseline: its rows cannot be copied back.</param>
/// <param name="Last">The last change record.</param>
/// <param name="Changes">What changed since the baseline and the last copy-back, for an operator.</param>
/// <param name="Whole">Tables (and virtual tables) a copy-back copies whole whatever the records say, with the changed rows to report for them.</param>
/// <param name="RepairNeeded">Whether the capture lacks triggers, so that a final copy-back records a new baseline.</param>
internal sealed record TargetAnalysis(MigrationPlan Plan, BaselineState? Baseline, bool SchemaChanged, long Last, TargetChanges Changes, IReadOnlyDictionary<string, long> Whole, bool RepairNeeded);

/// <summary>
/// Records, in the target itself, which rows change from cutover on, so that a rollback can tell whether dropping the
/// target would discard writes, and copy exactly those rows back to the source.
/// </summary>
/// <remarks>
/// <para>
/// The capture is the source's mechanism (<see cref="ChangeCapture"/>) with its own names: <c>AFTER</c> triggers
/// <c>dmig_target_capture_&lt;table&gt;_&lt;insert|update|delete&gt;</c> on every table of the target append the changed
/// row's key to <c>_dmig_target_changes</c>. Next to it, <c>_dmig_target_baseline (name, value)</c> keeps the schema's
/// fingerprint (<c>plan</c>), when the baseline was recorded (<c>recorded_at</c>), the last change record copied back
/// (<c>copied_seq</c>) and each table's row count (<c>rows:&lt;table&gt;</c>). A table whose count differs from its
/// baseline count without any recorded change was written past the triggers (a connection with triggers off): it is
/// reported changed and copied back whole.
/// </para>
/// <para>
/// The change sync writes the target with triggers off, so the capture records consumers' writes only, not the
/// migration's own, and it refreshes the baseline row counts of the tables it wrote (<see cref="RefreshRows"/>). A full
/// copy (schema copy, data copy, a sync that copies everything again) replaces the target and its baseline with it.
/// </para>
/// </remarks>
internal static class TargetCapture
{
    private const string PlanKey = "plan";
    private const string RecordedAtKey = "recorded_at";
    private const string CopiedSeqKey = "copied_seq";
    private const string RowsPrefix = "rows:";

    private static string BaselineTable => Sql.Quote(SqliteSchema.TargetBaselineTable);

    /// <summary>Inside the caller's transaction: replaces any capture and baseline of the main database with new ones over <paramref name="plan"/>.</summary>
    public static BaselineState Install(SqliteConnection connection, MigrationPlan plan, DateTimeOffset now)
    {
        RemoveObjects(connection);
        string id = ChangeCapture.InstallObjects(connection, plan, CaptureStore.Target);
        Sql.Execute(connection, $"CREATE TABLE main.{BaselineTable} (name TEXT PRIMARY KEY, value)");
        var rows = plan.Tables.ToDictionary(t => t.Name, t => Sql.Int64(connection, $"SELECT count(*) FROM main.{Sql.Quote(t.Name)}"), StringComparer.OrdinalIgnoreCase);
        string at = now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        Set(connection, PlanKey, plan.Fingerprint);
        Set(connection, RecordedAtKey, at);
        Set(connection, CopiedSeqKey, 0L);
        foreach (var (table, count) in rows)
        {
            Set(connection, RowsPrefix + table, count);
        }

        return new BaselineState(id, plan.Fingerprint, now, 0, rows);
    }

    /// <summary>Inside the caller's transaction: drops the target's capture triggers and its capture and baseline tables; returns whether there was anything to drop.</summary>
    public static bool RemoveObjects(SqliteConnection connection)
    {
        bool removed = ChangeCapture.RemoveObjects(connection, CaptureStore.Target);
        if (Exists(connection, "main"))
        {
            Sql.Execute(connection, $"DROP TABLE main.{BaselineTable}");
            removed = true;
        }

        return removed;
    }

    /// <summary>
    /// Inside the caller's transaction, after the change sync wrote <paramref name="tables"/> of the main database (with
    /// triggers off, so unrecorded): sets their baseline row counts to what they hold now, if the target has a baseline,
    /// so that the migration's own writes never read as consumers' writes.
    /// </summary>
    public static void RefreshRows(SqliteConnection connection, IEnumerable<string> tables)
    {
        if (!Exists(connection, "main"))
        {
            return;
        }

        foreach (string table in tables)
        {
            Sql.Execute(
                connection,
                $"UPDATE main.{BaselineTable} SET value = (SELECT count(*) FROM main.{Sql.Quote(table)}) WHERE name = $name",
                ("$name", RowsPrefix + table));
        }
    }

    /// <summary>Records that the change records up to <paramref name="seq"/> are in the source.</summary>
    public static void SetCopiedSeq(SqliteConnection connection, long seq) => Set(connection, CopiedSeqKey, seq);

    /// <summary>Reads the baseline of <paramref name="schema"/> (<c>main</c> or an attached target), or <c>null</c> when there is none.</summary>
    public static BaselineState? Read(SqliteConnection connection, string schema)
    {
        if (!Exists(connection, schema) || ChangeCapture.Id(connection, schema, CaptureStore.Target) is not { } id)
        {
            return null;
        }

        var values = Sql.Query(connection, $"SELECT name, value FROM {Sql.Quote(schema)}.{BaselineTable}", r => (Name: r.GetString(0), Value: r.GetValue(1)))
            .ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        if (values.GetValueOrDefault(PlanKey) is not string plan)
        {
            return null;
        }

        var rows = values.Where(v => v.Key.StartsWith(RowsPrefix, StringComparison.Ordinal))
            .ToDictionary(v => v.Key[RowsPrefix.Length..], v => Convert.ToInt64(v.Value, CultureInfo.InvariantCulture), StringComparer.OrdinalIgnoreCase);
        var at = values.GetValueOrDefault(RecordedAtKey) is string text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : DateTimeOffset.MinValue;
        long copied = values.GetValueOrDefault(CopiedSeqKey) is { } seq and not DBNull ? Convert.ToInt64(seq, CultureInfo.InvariantCulture) : 0;
        return new BaselineState(id, plan, at, copied, rows);
    }

    /// <summary>The capture triggers <paramref name="plan"/> needs that <paramref name="schema"/> lacks.</summary>
    public static List<CaptureTrigger> MissingTriggers(SqliteSchema schema, MigrationPlan plan)
    {
        var present = schema.CaptureTriggers.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return ChangeCapture.Triggers(plan, CaptureStore.Target).Where(t => !present.Contains(t.Name)).ToList();
    }

    /// <summary>
    /// Reads, inside the caller's (read) transaction, what changed in the target <paramref name="schema"/> (<c>main</c>, or
    /// <c>src</c> when attached to the source) since its baseline and the last copy-back.
    /// </summary>
    public static TargetAnalysis Analyze(SqliteConnection connection, string schema)
    {
        var target = SqliteSchema.Read(connection, schema);
        var plan = MigrationPlan.Create(target, null);
        var baseline = Read(connection, schema);
        var contentTables = plan.ContentTables;
        if (baseline is null)
        {
            var everything = contentTables.ToDictionary(n => n, _ => 0L, StringComparer.OrdinalIgnoreCase);
            var unknown = TargetChanges.UnknownChanges("no baseline was recorded at cutover, so the target's changes are unknown");
            return new TargetAnalysis(plan, null, false, 0, unknown, everything, RepairNeeded: true);
        }

        if (baseline.Plan != plan.Fingerprint)
        {
            var unknown = TargetChanges.UnknownChanges("the target's schema changed since its baseline (a table, index, view or trigger was created, altered or dropped), so its rows cannot be copied back as they are");
            return new TargetAnalysis(plan, baseline, true, 0, unknown, new Dictionary<string, long>(), RepairNeeded: false);
        }

        string s = Sql.Quote(schema);
        string changes = $"{s}.{Sql.Quote(SqliteSchema.TargetChangesTable)}";
        long last = Sql.Int64(connection, $"SELECT coalesce(max(seq), 0) FROM {changes}");
        var range = new (string, object?)[] { ("$from", baseline.CopiedSeq), ("$to", last) };
        var records = Sql.Query(connection, $"SELECT tbl, count(*) FROM {changes} WHERE seq > $from AND seq <= $to GROUP BY tbl", r => (Table: r.GetString(0), Records: r.GetInt64(1)), range)
            .ToDictionary(c => c.Table, c => c.Records, StringComparer.OrdinalIgnoreCase);
        var recordedSinceBaseline = Sql.Query(connection, $"SELECT DISTINCT tbl FROM {changes} WHERE seq > 0", r => r.GetString(0)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var missing = MissingTriggers(target, plan).Select(t => t.RecordedAs).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var tables = new List<TargetTableChanges>();
        var whole = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        var unknownReasons = new List<string>();
        var notes = new List<string>();
        foreach (var table in plan.Tables)
        {
            long recorded = records.GetValueOrDefault(table.Name);
            var key = ChangeCapture.Key(table);
            if (missing.Contains(table.Name))
            {
                whole[table.Name] = recorded;
                tables.Add(new TargetTableChanges(table.Name, recorded, Whole: true));
                unknownReasons.Add($"the change recording of '{table.Name}' was removed, so its writes since may be unrecorded");
            }
            else if (recorded > 0)
            {
                long keys = key.Count == 0
                    ? recorded
                    : Sql.Int64(connection, $"SELECT count(*) FROM (SELECT DISTINCT {string.Join(", ", Enumerable.Range(1, key.Count).Select(i => "k" + i.ToString(CultureInfo.InvariantCulture)))} FROM {changes} WHERE tbl = $t AND seq > $from AND seq <= $to)", [.. range, ("$t", table.Name)]);
                tables.Add(new TargetTableChanges(table.Name, keys, Whole: key.Count == 0));
            }
            else if (!recordedSinceBaseline.Contains(table.Name) && baseline.Rows.TryGetValue(table.Name, out long before))
            {
                long now = Sql.Int64(connection, $"SELECT count(*) FROM {s}.{Sql.Quote(table.Name)}");
                if (now != before)
                {
                    // Written past the triggers (a connection with triggers off): which rows is unknown, that it changed is not.
                    whole[table.Name] = Math.Abs(now - before);
                    tables.Add(new TargetTableChanges(table.Name, Math.Abs(now - before), Whole: true));
                    notes.Add($"'{table.Name}' holds {now} row(s), {before} at the baseline, with no change recorded: it was written past the change recording and is copied back whole");
                }
            }
        }

        var changedTables = tables.Select(t => t.Table).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var table in plan.VirtualTables.Where(v => v.HasContent))
        {
            long recorded = records.GetValueOrDefault(table.Name);
            if (table.ChangeShadow is null && table.ContentTable is null)
            {
                whole[table.Name] = 0;
                tables.Add(new TargetTableChanges(table.Name, 0, Whole: true));
                unknownReasons.Add($"virtual table '{table.Name}' has no per-row shadow table to watch, so its changes are unknown");
            }
            else if (missing.Contains(table.Name))
            {
                whole[table.Name] = recorded;
                tables.Add(new TargetTableChanges(table.Name, recorded, Whole: true));
                unknownReasons.Add($"the change recording of virtual table '{table.Name}' was removed, so its writes since may be unrecorded");
            }
            else if (recorded > 0 || (table.ContentTable is { } content && changedTables.Contains(content)))
            {
                tables.Add(new TargetTableChanges(table.Name, recorded, Whole: true));
            }
        }

        long changed = tables.Sum(t => t.ChangedRows);
        var result = unknownReasons.Count > 0
            ? new TargetChanges(TargetChangeState.Unknown, changed, tables, string.Join("; ", unknownReasons.Concat(notes)))
            : tables.Count > 0
                ? new TargetChanges(TargetChangeState.Changed, changed, tables, notes.Count > 0 ? string.Join("; ", notes) : null)
                : new TargetChanges(TargetChangeState.Unchanged, 0, [], null);
        return new TargetAnalysis(plan, baseline, false, last, result, whole, RepairNeeded: missing.Count > 0 || whole.Count > 0);
    }

    private static bool Exists(SqliteConnection connection, string schema) =>
        Sql.Int64(connection, $"SELECT count(*) FROM {Sql.Quote(schema)}.sqlite_schema WHERE type = 'table' AND name = $name", ("$name", SqliteSchema.TargetBaselineTable)) > 0;

    private static void Set(SqliteConnection connection, string name, object value) =>
        Sql.Execute(connection, $"INSERT OR REPLACE INTO main.{BaselineTable} (name, value) VALUES ($name, $value)", ("$name", name), ("$value", value));
}
