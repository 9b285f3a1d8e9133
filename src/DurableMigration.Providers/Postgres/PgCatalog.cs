using DurableMigration.Manifest;
using Npgsql;

namespace DurableMigration.Providers.Postgres;

/// <summary>A column of a table, in the table's order.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="Type">Its type as <c>format_type</c> spells it.</param>
/// <param name="Generated">Whether it is a generated (computed) column: never copied, the target computes it.</param>
/// <param name="Binary">Whether its type has a binary send function (binary COPY works).</param>
internal sealed record PgColumn(string Name, string Type, bool Generated, bool Binary);

/// <summary>A table of the source (ordinary, partitioned, partition, inheritance child, unlogged or foreign).</summary>
internal sealed record PgTable(uint Oid, string Schema, string Name, char Kind, bool Unlogged, string? RootSchema, string? RootName, long SizeBytes, long EstimatedRows, bool HasPrimaryKey, char ReplicaIdentity)
{
    /// <summary>Gets the columns, in order.</summary>
    public IReadOnlyList<PgColumn> Columns { get; init; } = [];

    /// <summary>Gets the primary key's columns, in key order (empty without one).</summary>
    public IReadOnlyList<PgColumn> Key { get; init; } = [];

    /// <summary>Gets <c>schema.name</c>, as messages, results and the table filter name it.</summary>
    public string QualifiedName => Schema + "." + Name;

    /// <summary>Gets the quoted name for SQL.</summary>
    public string Quoted => PgSql.Quote(Schema, Name);

    /// <summary>Gets a value indicating whether the table holds rows of its own (a partitioned parent holds none; a foreign table's rows live elsewhere).</summary>
    public bool HoldsRows => Kind == 'r';

    /// <summary>Gets the names the table filter may use for this table: <c>schema.table</c> and <c>table</c>, and those of its partition root.</summary>
    public IEnumerable<string> FilterNames
    {
        get
        {
            yield return QualifiedName;
            yield return Name;
            if (RootName is not null)
            {
                yield return RootSchema + "." + RootName;
                yield return RootName;
            }
        }
    }

    /// <summary>Gets the copied columns (generated columns excluded), quoted and comma-separated.</summary>
    public string CopyColumnList => string.Join(", ", Columns.Where(c => !c.Generated).Select(c => PgSql.Quote(c.Name)));
}

/// <summary>Reads the source's tables and applies the manifest's table filter.</summary>
internal static class PgCatalog
{
    /// <summary>The schemas that are never user data.</summary>
    public const string SystemSchemas = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

    /// <summary>Excludes objects that belong to an extension (<c>pg_depend</c> deptype <c>e</c>); <c>{0}</c> is the catalog, <c>{1}</c> the object's oid.</summary>
    public const string NotExtensionMember = "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{0}'::regclass AND e.objid = {1} AND e.deptype = 'e')";

    private const string TablesSql = """
        SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence = 'u',
               rn.nspname, r.relname,
               CASE WHEN c.relkind = 'r' THEN pg_relation_size(c.oid) ELSE 0 END,
               greatest(c.reltuples, 0)::bigint,
               EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p'),
               c.relreplident
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_class r ON c.relispartition AND r.oid = pg_partition_root(c.oid)
        LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
        WHERE c.relkind IN ('r', 'p', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
        ORDER BY n.nspname, c.relname
        """;

    private const string ColumnsSql = """
        SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated <> '', t.typsend::oid <> 0,
               coalesce((SELECT k.n::int FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(att, n) WHERE k.att = a.attnum), 0)
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
        WHERE c.relkind IN ('r', 'p', 'f') AND a.attnum > 0 AND NOT a.attisdropped
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
        ORDER BY a.attrelid, a.attnum
        """;

    /// <summary>Reads every user table with its columns and primary key.</summary>
    public static async Task<List<PgTable>> ReadTablesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var tables = await PgSql.QueryAsync(connection, TablesSql, r => new PgTable(
            r.GetFieldValue<uint>(0), r.GetString(1), r.GetString(2), r.GetChar(3), r.GetBoolean(4),
            r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6),
            r.GetInt64(7), r.GetInt64(8), r.GetBoolean(9), r.GetChar(10)), cancellationToken).ConfigureAwait(false);
        var columns = await PgSql.QueryAsync(connection, ColumnsSql, r => (Table: r.GetFieldValue<uint>(0), Column: new PgColumn(r.GetString(1), r.GetString(2), r.GetBoolean(3), r.GetBoolean(4)), KeyPosition: r.GetInt32(5)), cancellationToken).ConfigureAwait(false);
        var byTable = columns.ToLookup(c => c.Table);
        return tables.ConvertAll(t => t with
        {
            Columns = byTable[t.Oid].Select(c => c.Column).ToList(),
            Key = byTable[t.Oid].Where(c => c.KeyPosition > 0).OrderBy(c => c.KeyPosition).Select(c => c.Column).ToList(),
        });
    }

    /// <summary>Tells whether <paramref name="filter"/> moves <paramref name="table"/>: by <c>schema.table</c> or <c>table</c>, or its partition root's (case-insensitive).</summary>
    public static bool Includes(TableFilter? filter, PgTable table)
    {
        if (filter is null)
        {
            return true;
        }

        var names = table.FilterNames.ToList();
        return (filter.Include.Count == 0 || names.Any(n => filter.Include.Contains(n, StringComparer.OrdinalIgnoreCase)))
            && !names.Any(n => filter.Exclude.Contains(n, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>The filter's names that match no table.</summary>
    public static List<string> UnknownNames(TableFilter? filter, IReadOnlyList<PgTable> tables)
    {
        if (filter is null)
        {
            return [];
        }

        var known = new HashSet<string>(tables.SelectMany(t => t.FilterNames), StringComparer.OrdinalIgnoreCase);
        return filter.Include.Concat(filter.Exclude).Where(n => !known.Contains(n)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>The tables the filter leaves behind, as exact <c>pg_dump --exclude-table</c> arguments.</summary>
    public static List<string> DumpExclusions(TableFilter? filter, IReadOnlyList<PgTable> tables) =>
        tables.Where(t => !Includes(filter, t)).SelectMany(t => new[] { "--exclude-table", PgSql.DumpPattern(t.Schema, t.Name) }).ToList();
}
