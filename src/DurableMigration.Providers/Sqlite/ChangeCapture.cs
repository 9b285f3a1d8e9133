using System.Globalization;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Records, in the source itself, which rows change from the moment a data copy begins, so that exactly those can be synced later.</summary>
/// <remarks>
/// <para>
/// One transaction on the source creates the table <c>_dmig_changes (seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL,
/// k1, k2, ...)</c> and, on every moving table, <c>AFTER INSERT</c>, <c>AFTER UPDATE</c> and <c>AFTER DELETE</c>
/// triggers named <c>dmig_capture_&lt;table&gt;_&lt;insert|update|delete&gt;</c> that append the changed row's key:
/// the rowid of a rowid table (an update that changes it records the old and the new one), the primary-key columns
/// of a WITHOUT ROWID table, nothing at all for a table whose rowid no name reaches (then the whole table is synced
/// again). On the one shadow table a moving virtual table's module writes once per changed row
/// (<see cref="SqliteVirtualTable.ChangeShadow"/>), the triggers record the virtual table's name alone: a virtual
/// table that changed is filled again whole, and so is one without such a shadow table, at every sync. Row
/// <c>seq = 0</c> holds the capture's id, which the target's marker repeats, so a target follows exactly one capture.
/// </para>
/// <para>
/// The triggers are ordinary, persistent triggers: they see every connection's writes, committed or rolled back with
/// the write itself, so the log holds exactly the committed changes, in commit order (SQLite has one writer at a
/// time). They run <c>AFTER</c>, so the read-only triggers (<c>BEFORE</c>, <c>RAISE(ABORT)</c>) stop a write before
/// anything is recorded. An <c>INSERT OR REPLACE</c> that deletes a conflicting row fires no delete trigger unless
/// recursive triggers are on; the sync replays rows with <c>INSERT OR REPLACE</c> into a target with the same
/// constraints, which removes the same conflicting row there.
/// </para>
/// </remarks>
internal static class ChangeCapture
{
    private static readonly string[] Operations = ["insert", "update", "delete"];

    /// <summary>Replaces any earlier capture of <paramref name="connection"/>'s main database with a new one over <paramref name="plan"/>; returns its id.</summary>
    /// <remarks>Runs in one <c>BEGIN IMMEDIATE</c> transaction: the only write lock the provider takes on a source before cutover, for a few milliseconds.</remarks>
    public static string Install(SqliteConnection connection, MigrationPlan plan)
    {
        string id = string.Empty;
        Sql.InTransaction(connection, () => id = InstallObjects(connection, plan, CaptureStore.Source), immediate: true);
        return id;
    }

    /// <summary>Inside the caller's transaction: replaces any capture of <paramref name="store"/>'s kind in the main database with a new one over <paramref name="plan"/>; returns its id.</summary>
    public static string InstallObjects(SqliteConnection connection, MigrationPlan plan, CaptureStore store)
    {
        string id = Guid.NewGuid().ToString("N");
        RemoveObjects(connection, store);
        int width = Math.Max(1, plan.Tables.Max(t => (int?)Key(t).Count) ?? 1);
        string keys = string.Join(", ", Enumerable.Range(1, width).Select(i => "k" + i.ToString(CultureInfo.InvariantCulture)));
        Sql.Execute(connection, $"CREATE TABLE main.{Sql.Quote(store.Table)} (seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, {keys})");
        Sql.Execute(connection, $"INSERT INTO main.{Sql.Quote(store.Table)} (seq, tbl, k1) VALUES (0, '', $id)", ("$id", id));
        foreach (var trigger in Triggers(plan, store))
        {
            CreateTrigger(connection, trigger, store);
        }

        return id;
    }

    /// <summary>The triggers a capture of <paramref name="store"/>'s kind over <paramref name="plan"/> consists of.</summary>
    public static IEnumerable<CaptureTrigger> Triggers(MigrationPlan plan, CaptureStore store)
    {
        foreach (var table in plan.Tables)
        {
            foreach (string operation in Operations)
            {
                yield return new CaptureTrigger(store.TriggerPrefix + table.Name + "_" + operation, table.Name, table.Name, Key(table), operation);
            }
        }

        foreach (var table in plan.VirtualTables)
        {
            if (table.ChangeShadow is { } shadow)
            {
                foreach (string operation in Operations)
                {
                    yield return new CaptureTrigger(store.TriggerPrefix + shadow + "_" + operation, shadow, table.Name, null, operation);
                }
            }
        }
    }

    /// <summary>Drops the capture's triggers and table, if any; returns whether there was anything to drop.</summary>
    public static bool Remove(SqliteConnection connection, CaptureStore? store = null)
    {
        bool removed = false;
        Sql.InTransaction(connection, () => removed = RemoveObjects(connection, store ?? CaptureStore.Source), immediate: true);
        return removed;
    }

    /// <summary>Reads the id of the capture installed in <paramref name="schema"/> (<c>main</c> or <c>src</c>), or <c>null</c> when there is none.</summary>
    public static string? Id(SqliteConnection connection, string schema, CaptureStore? store = null)
    {
        string table = (store ?? CaptureStore.Source).Table;
        bool exists = Sql.Int64(connection, $"SELECT count(*) FROM {Sql.Quote(schema)}.sqlite_schema WHERE type = 'table' AND name = $name", ("$name", table)) > 0;
        return exists ? Sql.Scalar(connection, $"SELECT k1 FROM {Sql.Quote(schema)}.{Sql.Quote(table)} WHERE seq = 0") as string : null;
    }

    /// <summary>The expressions that identify a row of <paramref name="table"/>: its rowid, its primary key (WITHOUT ROWID), or none.</summary>
    public static IReadOnlyList<string> Key(SqliteTable table) =>
        table.WithoutRowid
            ? table.Columns.Where(c => c.PrimaryKeyOrdinal > 0).OrderBy(c => c.PrimaryKeyOrdinal).Select(c => Sql.Quote(c.Name)).ToList()
            : table.RowidName is { } rowid ? [rowid] : [];

    /// <summary>Creates one capture trigger in the main database.</summary>
    public static void CreateTrigger(SqliteConnection connection, CaptureTrigger trigger, CaptureStore store)
    {
        string changes = Sql.Quote(store.Table); // unqualified: triggers may not name a schema
        string name = Sql.Literal(trigger.RecordedAs);
        var key = trigger.Key;
        string Insert(string row) => key is { Count: > 0 }
            ? $"INSERT INTO {changes} (tbl, {Columns(key.Count)}) VALUES ({name}, {string.Join(", ", key.Select(k => row + "." + k))});"
            : $"INSERT INTO {changes} (tbl) VALUES ({name});";

        string body = trigger.Operation switch
        {
            "insert" => Insert("NEW"),
            "delete" => Insert("OLD"),

            // An update may move the row to another key: record both, the new one only when it differs.
            _ when key is { Count: > 0 } => Insert("OLD") + $" INSERT INTO {changes} (tbl, {Columns(key.Count)}) SELECT {name}, {string.Join(", ", key.Select(k => "NEW." + k))} WHERE NOT ({string.Join(" AND ", key.Select(k => $"NEW.{k} IS OLD.{k}"))});",
            _ => Insert("NEW"),
        };
        Sql.Execute(connection, $"CREATE TRIGGER main.{Sql.Quote(trigger.Name)} AFTER {trigger.Operation.ToUpperInvariant()} ON {Sql.Quote(trigger.Table)} BEGIN {body} END");
    }

    /// <summary>Inside the caller's transaction: drops the triggers and table of <paramref name="store"/>'s kind from the main database; returns whether there was anything to drop.</summary>
    public static bool RemoveObjects(SqliteConnection connection, CaptureStore store)
    {
        var triggers = Sql.Query(connection, "SELECT name FROM main.sqlite_schema WHERE type = 'trigger'", r => r.GetString(0))
            .Where(t => t.StartsWith(store.TriggerPrefix, StringComparison.OrdinalIgnoreCase))
            .ToList();
        foreach (string trigger in triggers)
        {
            Sql.Execute(connection, $"DROP TRIGGER IF EXISTS main.{Sql.Quote(trigger)}");
        }

        bool table = Sql.Int64(connection, "SELECT count(*) FROM main.sqlite_schema WHERE type = 'table' AND name = $name", ("$name", store.Table)) > 0;
        if (table)
        {
            Sql.Execute(connection, $"DROP TABLE main.{Sql.Quote(store.Table)}");
        }

        return table || triggers.Count > 0;
    }

    private static string Columns(int count) => string.Join(", ", Enumerable.Range(1, count).Select(i => "k" + i.ToString(CultureInfo.InvariantCulture)));
}

/// <summary>Where a change capture records: the source's (<c>_dmig_changes</c>, from the copy on) or the target's (<c>_dmig_target_changes</c>, from cutover on).</summary>
/// <param name="Table">The table the triggers append to.</param>
/// <param name="TriggerPrefix">The name prefix of its triggers.</param>
internal sealed record CaptureStore(string Table, string TriggerPrefix)
{
    /// <summary>Gets the source's capture: what the change sync applies to the target.</summary>
    public static CaptureStore Source { get; } = new(SqliteSchema.ChangesTable, SqliteSchema.CaptureTriggerPrefix);

    /// <summary>Gets the target's capture: what the copy-back applies to the source.</summary>
    public static CaptureStore Target { get; } = new(SqliteSchema.TargetChangesTable, SqliteSchema.TargetCaptureTriggerPrefix);
}

/// <summary>One capture trigger.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Table">The table it is on (a shadow table for a virtual table).</param>
/// <param name="RecordedAs">The table name it records.</param>
/// <param name="Key">The key expressions it records; none for a table synced whole.</param>
/// <param name="Operation"><c>insert</c>, <c>update</c> or <c>delete</c>.</param>
internal sealed record CaptureTrigger(string Name, string Table, string RecordedAs, IReadOnlyList<string>? Key, string Operation);
