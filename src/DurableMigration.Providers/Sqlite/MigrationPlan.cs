using System.Security.Cryptography;
using System.Text;
using DurableMigration.Manifest;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Which objects of a source move, given its schema and the database's table filter.</summary>
/// <remarks>
/// Tables move as the filter says. Indexes and triggers move with their table. Views (and triggers) that read a table
/// the filter leaves behind stay behind too, so the target never holds an object that fails when used; with no
/// table left behind, everything moves. Assessment, schema copy, data copy and validation share this one plan.
/// </remarks>
internal sealed class MigrationPlan
{
    private MigrationPlan()
    {
    }

    /// <summary>Gets the tables that move, in creation order.</summary>
    public required IReadOnlyList<SqliteTable> Tables { get; init; }

    /// <summary>Gets the virtual tables that move: re-created in the target and filled as their kind says.</summary>
    public required IReadOnlyList<SqliteVirtualTable> VirtualTables { get; init; }

    /// <summary>Gets the virtual tables the filter includes that cannot move, and why (assessment blocks them; copies refuse them).</summary>
    public required IReadOnlyList<(SqliteVirtualTable Table, string Reason)> BlockedVirtualTables { get; init; }

    /// <summary>Gets the tables (ordinary and virtual) that stay behind.</summary>
    public required IReadOnlyList<string> TablesLeftBehind { get; init; }

    /// <summary>Gets the names the filter mentions that name no table of the source.</summary>
    public required IReadOnlyList<string> UnknownTables { get; init; }

    /// <summary>Gets the views that move.</summary>
    public required IReadOnlyList<SqliteObject> Views { get; init; }

    /// <summary>Gets the indexes that move.</summary>
    public required IReadOnlyList<SqliteObject> Indexes { get; init; }

    /// <summary>Gets the triggers that move.</summary>
    public required IReadOnlyList<SqliteObject> Triggers { get; init; }

    /// <summary>Gets the views, triggers and virtual tables that stay behind because they read a table that does.</summary>
    public required IReadOnlyList<SqliteObject> DependentsLeftBehind { get; init; }

    /// <summary>Gets a digest of everything that moves (names and CREATE statements): a target built from another plan is stale.</summary>
    public required string Fingerprint { get; init; }

    /// <summary>Gets the names of the tables whose rows move, in the order they are copied: the ordinary tables, then the virtual tables with content of their own.</summary>
    public IEnumerable<string> ContentTables => Tables.Select(t => t.Name).Concat(VirtualTables.Where(v => v.HasContent).Select(v => v.Name));

    /// <summary>Gets every object that moves, in the order the target gets them: tables, views, indexes, triggers.</summary>
    public IEnumerable<(string Type, string Name)> Objects =>
        Tables.Select(t => ("table", t.Name))
            .Concat(VirtualTables.Select(v => ("virtual table", v.Name)))
            .Concat(Views.Select(v => (v.Type, v.Name)))
            .Concat(Indexes.Select(i => (i.Type, i.Name)))
            .Concat(Triggers.Select(t => (t.Type, t.Name)));

    /// <summary>Plans the move of <paramref name="source"/> under <paramref name="filter"/>.</summary>
    public static MigrationPlan Create(SqliteSchema source, TableFilter? filter)
    {
        var known = new HashSet<string>(source.Tables.Select(t => t.Name).Concat(source.VirtualTables.Select(v => v.Name)), StringComparer.OrdinalIgnoreCase);
        var unknown = filter is null
            ? []
            : filter.Include.Concat(filter.Exclude).Where(n => !known.Contains(n)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

        bool Moves(string table) => filter?.Includes(table) ?? true;
        var tables = source.Tables.Where(t => Moves(t.Name)).ToList();
        var leftBehind = source.Tables.Select(t => t.Name).Concat(source.VirtualTables.Select(v => v.Name)).Where(n => !Moves(n)).ToList();

        // Fixed point: a view reading a view that stays behind stays behind too; so does a virtual table over a
        // table (or virtual table) that stays behind: an FTS table over its content table, an fts5vocab table over its
        // FTS table.
        var notMoving = new HashSet<string>(leftBehind, StringComparer.OrdinalIgnoreCase);
        var views = source.Views.ToList();
        var virtualTables = source.VirtualTables.Where(v => Moves(v.Name)).ToList();
        var dependents = new List<SqliteObject>();
        if (notMoving.Count > 0)
        {
            bool changed = true;
            while (changed)
            {
                changed = false;
                foreach (var view in views.ToList().Where(v => ReadsAny(v, notMoving)))
                {
                    views.Remove(view);
                    dependents.Add(view);
                    notMoving.Add(view.Name);
                    changed = true;
                }

                foreach (var table in virtualTables.ToList().Where(v => ReadsAny(v, notMoving)))
                {
                    virtualTables.Remove(table);
                    dependents.Add(new SqliteObject("virtual table", table.Name, table.Name, table.Sql));
                    notMoving.Add(table.Name);
                    changed = true;
                }
            }
        }

        var blocked = new List<(SqliteVirtualTable, string)>();
        foreach (var table in virtualTables.ToList())
        {
            string? contentSql = table.ContentTable is { } content ? tables.FirstOrDefault(t => string.Equals(t.Name, content, StringComparison.OrdinalIgnoreCase))?.Sql : null;
            if (VirtualTableSql.Problem(table, contentSql) is { } problem)
            {
                virtualTables.Remove(table);
                blocked.Add((table, problem));
            }
        }

        var movingTables = new HashSet<string>(tables.Select(t => t.Name).Concat(views.Select(v => v.Name)), StringComparer.OrdinalIgnoreCase);
        notMoving.UnionWith(blocked.Select(b => b.Item1.Name));
        var triggers = new List<SqliteObject>();
        foreach (var trigger in source.Triggers.Where(t => movingTables.Contains(t.Table)))
        {
            (ReadsAny(trigger, notMoving) ? dependents : triggers).Add(trigger);
        }

        var indexes = source.Indexes.Where(i => movingTables.Contains(i.Table)).ToList();
        return new MigrationPlan
        {
            Tables = tables,
            VirtualTables = virtualTables,
            BlockedVirtualTables = blocked,
            TablesLeftBehind = leftBehind,
            UnknownTables = unknown,
            Views = views,
            Indexes = indexes,
            Triggers = triggers,
            DependentsLeftBehind = dependents,
            Fingerprint = Digest(tables.Select(t => ("table", t.Name, t.Sql))
                .Concat(virtualTables.Select(v => ("virtual table", v.Name, v.Sql)))
                .Concat(views.Concat(indexes).Concat(triggers).Select(o => (o.Type, o.Name, o.Sql)))),
        };
    }

    private static bool ReadsAny(SqliteObject obj, HashSet<string> names) =>
        names.Count > 0 && SqlIdentifiers.Of(obj.Sql).Any(names.Contains);

    // A virtual table reads what its arguments name (its own name aside): a content table, an FTS table.
    private static bool ReadsAny(SqliteVirtualTable table, HashSet<string> names) =>
        names.Count > 0 && (table.ContentTable is { } content && names.Contains(content)
            || (table.Kind == VirtualTableKind.Derived && VirtualTableSql.Parse(table.Sql).Arguments.SelectMany(SqlIdentifiers.Of).Any(names.Contains)));

    private static string Digest(IEnumerable<(string Type, string Name, string Sql)> objects)
    {
        var text = new StringBuilder();
        foreach (var (type, name, sql) in objects)
        {
            text.Append(type).Append('\0').Append(name).Append('\0').Append(sql).Append('\0');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }
}
