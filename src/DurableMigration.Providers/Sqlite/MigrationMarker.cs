using System.Globalization;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Sqlite;

/// <summary>What a target path holds before this provider touches it.</summary>
internal enum TargetKind
{
    /// <summary>No file.</summary>
    Absent,

    /// <summary>An empty file, or a SQLite database without user objects.</summary>
    Empty,

    /// <summary>A database this provider wrote (it has the marker table).</summary>
    Marked,

    /// <summary>A SQLite database with user objects and no marker: someone else's data.</summary>
    Foreign,

    /// <summary>A file SQLite cannot read as a database.</summary>
    NotADatabase,
}

/// <summary>The result of looking at a target before writing to it.</summary>
/// <param name="Kind">What the path holds.</param>
/// <param name="State">The marker's state, when <see cref="TargetKind.Marked"/> and readable.</param>
/// <param name="Fingerprint">The plan fingerprint the marker recorded.</param>
/// <param name="Capture">The id of the source's change capture the copy began with (<see cref="MigrationMarker.NothingToCapture"/> when the source was read-only), if any.</param>
/// <param name="SyncedSeq">The last change of that capture already applied to the target.</param>
internal sealed record TargetInspection(TargetKind Kind, string? State = null, string? Fingerprint = null, string? Capture = null, long SyncedSeq = 0)
{
    /// <summary>Gets a value indicating whether this provider may delete and rebuild the target.</summary>
    public bool MayReplace => Kind is TargetKind.Absent or TargetKind.Empty or TargetKind.Marked;
}

/// <summary>The marker table a target carries from its schema copy on: which source it came from and how far the copy got.</summary>
/// <remarks>
/// It makes a partial target recognisable (assessment reports it as information, a new attempt replaces it) and
/// tells a target this provider wrote from someone else's database, which the provider refuses to replace or delete.
/// It stays in the finished target; drop it after cutover if consumers must not see it.
/// </remarks>
internal static class MigrationMarker
{
    /// <summary>Schema created, no rows yet.</summary>
    public const string SchemaCopied = "schema-copied";

    /// <summary>A data copy started (and may have been cut short).</summary>
    public const string Copying = "copying";

    /// <summary>Rows, indexes and triggers are all in place.</summary>
    public const string Copied = "copied";

    /// <summary>The capture id of a target that needs no change sync: it was copied from (or last synced with) a read-only source.</summary>
    public const string NothingToCapture = "read-only";

    /// <summary>Creates the marker table with its single row.</summary>
    public static void Create(SqliteConnection connection, string database, string sourceFile, string fingerprint, DateTimeOffset now)
    {
        Sql.Execute(connection, $"CREATE TABLE {Sql.Quote(SqliteSchema.MarkerTable)} (database TEXT NOT NULL, source_file TEXT NOT NULL, state TEXT NOT NULL, plan TEXT NOT NULL, updated_at TEXT NOT NULL, capture TEXT, synced_seq INTEGER NOT NULL DEFAULT 0)");
        Sql.Execute(
            connection,
            $"INSERT INTO {Sql.Quote(SqliteSchema.MarkerTable)} (database, source_file, state, plan, updated_at) VALUES ($database, $source, $state, $plan, $at)",
            ("$database", database),
            ("$source", sourceFile),
            ("$state", SchemaCopied),
            ("$plan", fingerprint),
            ("$at", Timestamp(now)));
    }

    /// <summary>Records how far the copy got.</summary>
    public static void SetState(SqliteConnection connection, string state, DateTimeOffset now) =>
        Sql.Execute(connection, $"UPDATE main.{Sql.Quote(SqliteSchema.MarkerTable)} SET state = $state, updated_at = $at", ("$state", state), ("$at", Timestamp(now)));

    /// <summary>Records which change capture of the source the target follows, and the last change applied.</summary>
    public static void SetCapture(SqliteConnection connection, string? capture, long syncedSeq, DateTimeOffset now) =>
        Sql.Execute(connection, $"UPDATE main.{Sql.Quote(SqliteSchema.MarkerTable)} SET capture = $capture, synced_seq = $seq, updated_at = $at", ("$capture", capture), ("$seq", syncedSeq), ("$at", Timestamp(now)));

    /// <summary>Looks at the target file; it changes nothing, except that SQLite rolls back a hot journal a crashed write left.</summary>
    public static TargetInspection Inspect(SqliteFile target)
    {
        if (!target.Exists)
        {
            return new TargetInspection(TargetKind.Absent);
        }

        if (new FileInfo(target.Path).Length == 0)
        {
            return new TargetInspection(TargetKind.Empty);
        }

        try
        {
            return Inspect(target, SqliteOpenMode.ReadOnly);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteErrors.ReadOnly)
        {
            // A hot journal (a write cut short) must be rolled back before the file can be read, which a read-only
            // connection cannot do; any SQLite client opening the file would roll it back the same way.
            return Inspect(target, SqliteOpenMode.ReadWrite);
        }
    }

    /// <summary>Tells whether the target is the fresh schema copy of <paramref name="plan"/>: marked, schema copied, no rows yet.</summary>
    public static bool IsFreshSchemaCopy(SqliteFile target, TargetInspection inspection, MigrationPlan plan, out string reason)
    {
        if (inspection.Kind != TargetKind.Marked)
        {
            reason = $"target {inspection.Kind}";
            return false;
        }

        if (inspection.State != SchemaCopied || inspection.Fingerprint != plan.Fingerprint)
        {
            reason = inspection.Fingerprint != plan.Fingerprint ? "schema changed" : $"state {inspection.State ?? "unknown"}";
            return false;
        }

        using var connection = target.Open(SqliteOpenMode.ReadOnly);
        var withRows = plan.ContentTables
            .FirstOrDefault(name => Sql.Scalar(connection, $"SELECT 1 FROM main.{Sql.Quote(name)} LIMIT 1") is not null);
        reason = withRows is null ? string.Empty : "rows already present";
        return withRows is null;
    }

    private static TargetInspection Inspect(SqliteFile target, SqliteOpenMode mode)
    {
        using var connection = target.Open(mode);
        try
        {
            var schema = SqliteSchema.Read(connection, "main");
            if (!schema.HasMarker)
            {
                return new TargetInspection(schema.HasUserObjects ? TargetKind.Foreign : TargetKind.Empty);
            }

            try
            {
                bool hasCapture = Sql.Int64(connection, "SELECT count(*) FROM pragma_table_info($table) WHERE name = 'capture'", ("$table", SqliteSchema.MarkerTable)) > 0;
                string columns = hasCapture ? "state, plan, capture, synced_seq" : "state, plan, NULL, 0"; // a marker written before change capture
                var row = Sql.Query(connection, $"SELECT {columns} FROM {Sql.Quote(SqliteSchema.MarkerTable)} LIMIT 1", r => new TargetInspection(TargetKind.Marked, r.GetString(0), r.GetString(1), r.NullableString(2), r.GetInt64(3)));
                return row.Count == 0 ? new TargetInspection(TargetKind.Marked) : row[0];
            }
            catch (SqliteException ex) when (SqliteErrors.IsUnreadable(ex) || ex.SqliteErrorCode == SqliteErrors.Error)
            {
                // The marker table is there but its row cannot be read (a copy cut short): still ours, state unknown.
                return new TargetInspection(TargetKind.Marked);
            }
        }
        catch (SqliteException ex) when (SqliteErrors.IsUnreadable(ex))
        {
            return new TargetInspection(TargetKind.NotADatabase);
        }
    }

    private static string Timestamp(DateTimeOffset now) => now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
