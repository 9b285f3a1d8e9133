using System.Globalization;
using DurableMigration.Manifest;
using Npgsql;

namespace DurableMigration.Providers.Postgres;

public sealed partial class PostgresDatabaseProvider
{
    /// <summary>Pins every setting a value's text form depends on, so both sides print a row the same way.</summary>
    private const string PinnedSettings = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex'; SET lc_monetary = 'C'";

    /// <summary>Every user object of a database as (kind, name, owning table): schemas, relations, indexes, constraints, routines, triggers, types; extension members left out.</summary>
    private const string InventorySql = """
        SELECT 'schema', n.nspname, NULL FROM pg_namespace n
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid AND e.deptype = 'e')
        UNION ALL
        SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'f' THEN 'foreign table' WHEN 'v' THEN 'view'
                              WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' ELSE 'index' END,
               n.nspname || '.' || c.relname,
               CASE WHEN c.relkind IN ('i', 'I') THEN tn.nspname || '.' || t.relname WHEN c.relkind IN ('r', 'p', 'f') THEN n.nspname || '.' || c.relname END
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_index i ON i.indexrelid = c.oid
        LEFT JOIN pg_class t ON t.oid = i.indrelid
        LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
        WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S', 'i', 'I')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = coalesce(t.oid, c.oid) AND e.deptype = 'e')
        UNION ALL
        SELECT 'constraint', k.conname || ' on ' || n.nspname || '.' || c.relname, n.nspname || '.' || c.relname
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
        UNION ALL
        SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
               n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', NULL
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
        UNION ALL
        SELECT 'trigger', g.tgname || ' on ' || n.nspname || '.' || c.relname, n.nspname || '.' || c.relname
        FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT g.tgisinternal AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
        UNION ALL
        SELECT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range type' ELSE 'type' END,
               n.nspname || '.' || t.typname, NULL
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype IN ('e', 'd', 'r', 'c') AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e')
        """;

    /// <inheritdoc/>
    /// <remarks>
    /// <para>
    /// Objects: schemas, tables, views, materialized views, sequences, indexes, constraints, functions, procedures,
    /// aggregates, triggers, enums, domains, range and composite types of the source (of the tables the filter moves;
    /// extension members left out) that the target lacks go to <see cref="ValidationReport.MissingInTarget"/> as
    /// <c>kind schema.name</c> (<c>index public.orders_pkey</c>, <c>trigger audit on public.orders</c>).
    /// </para>
    /// <para>
    /// Rows: per table with rows of its own (<c>ONLY</c>), <c>count(*)</c> and, with checksums on, the sum of a 64-bit
    /// hash of each row (<c>sum(hash_record_extended(ROW(columns in the source's order), 0))</c>, columns of types
    /// whose hash is not exact through their text form; a numeric,
    /// order-independent), computed inside each database, both sides at the same time, each in one snapshot, with
    /// <c>TimeZone</c>, <c>DateStyle</c>, <c>IntervalStyle</c>, <c>extra_float_digits</c>, <c>bytea_output</c> and
    /// <c>lc_monetary</c> pinned. For a table that differs and has a primary key, the source's rows are split by key
    /// into ranges of <see cref="PostgresProviderOptions.ValidationBucketRows"/> rows (at most 256 ranges) and the
    /// first range whose count or checksum differs is named in <see cref="TableValidation.Difference"/>
    /// (<c>rows differ in id 4001..5000</c>), which the report's summary and the orchestration's error show.
    /// </para>
    /// </remarks>
    public async Task<ValidationReport> ValidateAsync(MigrationEndpoints endpoints, ValidationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(options);
        var source = Source(endpoints);
        var target = Target(endpoints);
        try
        {
            List<PgTable> all;
            List<(string Kind, string Name, string? Table)> sourceObjects;
            await using (var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false))
            {
                all = await PgCatalog.ReadTablesAsync(connection, cancellationToken).ConfigureAwait(false);
                sourceObjects = await ReadInventoryAsync(connection, cancellationToken).ConfigureAwait(false);
            }

            var leftBehind = new HashSet<string>(all.Where(t => !PgCatalog.Includes(endpoints.Tables, t)).Select(t => t.QualifiedName), StringComparer.Ordinal);
            List<(string Kind, string Name, string? Table)> targetObjects = [];
            var targetColumns = new HashSet<string>(StringComparer.Ordinal);
            await using (var admin = await target.OpenAdminAsync(cancellationToken).ConfigureAwait(false))
            {
                if ((await PgMarker.ReadAsync(admin, target, cancellationToken).ConfigureAwait(false)).Kind != TargetKind.Missing)
                {
                    await using var connection = await target.OpenAsync(cancellationToken).ConfigureAwait(false);
                    targetObjects = await ReadInventoryAsync(connection, cancellationToken).ConfigureAwait(false);
                    foreach (var table in await PgCatalog.ReadTablesAsync(connection, cancellationToken).ConfigureAwait(false))
                    {
                        targetColumns.UnionWith(table.Columns.Select(c => ColumnKey(table, c)));
                    }
                }
            }

            var present = new HashSet<string>(targetObjects.Select(o => o.Kind + " " + o.Name), StringComparer.Ordinal);
            var missing = sourceObjects
                .Where(o => o.Table is null || !leftBehind.Contains(o.Table))
                .Select(o => o.Kind + " " + o.Name)
                .Where(o => !present.Contains(o))
                .Order(StringComparer.Ordinal)
                .ToList();

            var tables = all.Where(t => t.HoldsRows && !leftBehind.Contains(t.QualifiedName)).ToList();
            var comparable = tables.Where(t => present.Contains("table " + t.QualifiedName)).ToList();
            foreach (var table in comparable.ToList())
            {
                // A column missing in the target, or of another type: listed, and the table's rows are not compared.
                var lacking = table.Columns.Where(c => !targetColumns.Contains(ColumnKey(table, c))).ToList();
                if (lacking.Count > 0)
                {
                    missing.AddRange(lacking.Select(c => $"column {table.QualifiedName}.{c.Name} ({c.Type})"));
                    comparable.Remove(table);
                }
            }
            var results = new List<TableValidation>();
            if (options.RowCounts || options.Checksums)
            {
                var sides = await Task.WhenAll(
                    MeasureAsync(source, comparable, options.Checksums, cancellationToken),
                    MeasureAsync(target, comparable, options.Checksums, cancellationToken)).ConfigureAwait(false);
                foreach (var table in tables)
                {
                    var s = sides[0].GetValueOrDefault(table.QualifiedName);
                    var d = sides[1].GetValueOrDefault(table.QualifiedName);
                    bool differ = s.Rows != d.Rows || (options.Checksums && s.Checksum != d.Checksum) || !comparable.Contains(table);
                    string? difference = null;
                    if (differ && comparable.Contains(table) && table.Key.Count > 0)
                    {
                        string? range = await FindDifferingRangeAsync(source, target, table, s.Rows, cancellationToken).ConfigureAwait(false);
                        if (range is not null)
                        {
                            difference = $"rows differ in {range}";
                        }
                    }

                    if (differ)
                    {
                        PgLogs.TableDiffers(_logger, endpoints.Database, table.QualifiedName, string.Create(CultureInfo.InvariantCulture, $"source {s.Rows} row(s), target {d.Rows} row(s); {difference ?? "no key range narrowed"}"));
                    }

                    results.Add(new TableValidation(
                        table.QualifiedName,
                        options.RowCounts ? s.Rows : 0,
                        options.RowCounts ? d.Rows : 0,
                        options.Checksums ? s.Checksum : null,
                        options.Checksums ? d.Checksum : null)
                    {
                        Difference = difference,
                    });
                }
            }

            var report = new ValidationReport(results, missing)
            {
                ComparedRowCounts = options.RowCounts,
                ComparedChecksums = options.Checksums,
                ComparedTables = options.RowCounts || options.Checksums ? results.Count : 0,
            };
            PgLogs.Validated(_logger, endpoints.Database, report.Summary, results.Count(r => !r.Matches), missing.Count);
            return report;
        }
        catch (Exception ex) when (ex is not DatabaseProviderException and not OperationCanceledException)
        {
            throw PgErrors.Translate(ex, endpoints.Database, "validation", cancellationToken, source.Password, target.Password);
        }
    }

    private static string ColumnKey(PgTable table, PgColumn column) => $"{table.QualifiedName}\n{column.Name}\n{column.Type}";

    private static Task<List<(string Kind, string Name, string? Table)>> ReadInventoryAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        PgSql.QueryAsync(connection, InventorySql, r => (r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)), cancellationToken);

    /// <summary>
    /// The expression of one row's 64-bit hash: <c>hash_record_extended</c> of its columns in the source's order, each
    /// hashed by its type's own hash function when that function tells every distinct value apart and is the same on
    /// every server (<see cref="HashesExactly"/>), else through its text form. Three times faster than hashing the whole
    /// row's text (measured on a table of jsonb, numeric, ranges and text): most of that cost is text output.
    /// </summary>
    private static string RowHash(PgTable table) =>
        $"hash_record_extended(ROW({string.Join(", ", table.Columns.Select(c => "x." + PgSql.Quote(c.Name) + (HashesExactly(c.Type) ? string.Empty : "::text")))}), 0)";

    /// <summary>
    /// Tells whether a column type's hash can be compared across servers as it is: equal values are identical values
    /// (not so for numeric's scale, float's signed zero, interval's "1 day" and "24 hours", jsonb's numbers, bpchar's
    /// padding, case-insensitive text) and the hash does not depend on object ids (enums hash their label's oid). Any
    /// other type, domains and composite types included, is hashed through its text form.
    /// </summary>
    internal static bool HashesExactly(string formatType)
    {
        string type = formatType.EndsWith("[]", StringComparison.Ordinal) ? formatType[..^2] : formatType;
        // Type modifiers do not change the hash: "character varying(20)", "timestamp(3) with time zone".
        int open = type.IndexOf('(', StringComparison.Ordinal);
        if (open >= 0)
        {
            int close = type.IndexOf(')', open);
            type = (type[..open] + (close >= 0 ? type[(close + 1)..] : string.Empty)).Trim();
        }

        return ExactlyHashedTypes.Contains(type);
    }

    private static readonly HashSet<string> ExactlyHashedTypes = new(StringComparer.Ordinal)
    {
        "smallint", "integer", "bigint", "boolean", "text", "character varying", "\"char\"", "name", "oid", "bytea", "uuid",
        "date", "timestamp without time zone", "timestamp with time zone", "time without time zone",
        "inet", "cidr", "macaddr", "macaddr8",
        "int4range", "int8range", "daterange", "tsrange", "tstzrange",
    };

    /// <summary>Counts (and checksums) every table on one side, in one read-only snapshot with the text settings pinned.</summary>
    private static async Task<Dictionary<string, (long Rows, string? Checksum)>> MeasureAsync(PgEndpoint side, List<PgTable> tables, bool checksums, CancellationToken cancellationToken)
    {
        var results = new Dictionary<string, (long Rows, string? Checksum)>(StringComparer.Ordinal);
        await using var connection = await side.OpenAsync(cancellationToken).ConfigureAwait(false);
        await PgSql.ExecuteAsync(connection, PinnedSettings + "; BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", cancellationToken).ConfigureAwait(false);
        foreach (var table in tables)
        {
            string sql = checksums
                ? $"SELECT count(*), coalesce(sum({RowHash(table)}), 0)::text FROM ONLY {table.Quoted} AS x"
                : $"SELECT count(*), NULL::text FROM ONLY {table.Quoted} AS x";
            var row = (await PgSql.QueryAsync(connection, sql, r => (r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1)), cancellationToken).ConfigureAwait(false)).Single();
            results[table.QualifiedName] = row;
        }

        await PgSql.ExecuteAsync(connection, "COMMIT", cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>Splits the source's rows by primary key into ranges and returns the first range whose count or checksum differs in the target, as text (<c>id 4001..5000</c>); <c>null</c> when none does.</summary>
    private async Task<string?> FindDifferingRangeAsync(PgEndpoint source, PgEndpoint target, PgTable table, long sourceRows, CancellationToken cancellationToken)
    {
        long size = Math.Max(_options.ValidationBucketRows, (sourceRows + 255) / 256);
        string keys = string.Join(", ", table.Key.Select(k => PgSql.Quote(k.Name)));
        // Aliased: a bare key name in ORDER BY would otherwise sort by the text output column.
        string keysText = string.Join(", ", table.Key.Select((k, i) => PgSql.Quote(k.Name) + "::text AS dmig_key" + i.ToString(CultureInfo.InvariantCulture)));
        string descending = string.Join(", ", table.Key.Select(k => PgSql.Quote(k.Name) + " DESC"));
        string bucketed = $"SELECT {keys}, (row_number() OVER (ORDER BY {keys}) - 1) / @size AS dmig_bucket FROM ONLY {table.Quoted}";
        await using var sourceConnection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var targetConnection = await target.OpenAsync(cancellationToken).ConfigureAwait(false);
        await PgSql.ExecuteAsync(sourceConnection, PinnedSettings, cancellationToken).ConfigureAwait(false);
        await PgSql.ExecuteAsync(targetConnection, PinnedSettings, cancellationToken).ConfigureAwait(false);
        var lows = await PgSql.QueryAsync(sourceConnection, $"SELECT DISTINCT ON (dmig_bucket) {keysText} FROM ({bucketed}) AS b ORDER BY dmig_bucket, {keys}", Values, cancellationToken, ("size", size)).ConfigureAwait(false);
        var highs = await PgSql.QueryAsync(sourceConnection, $"SELECT DISTINCT ON (dmig_bucket) {keysText} FROM ({bucketed}) AS b ORDER BY dmig_bucket, {descending}", Values, cancellationToken, ("size", size)).ConfigureAwait(false);
        if (lows.Count == 0)
        {
            return "the whole table (the source has no rows)";
        }

        string tuple = table.Key.Count == 1 ? keys : $"({keys})";
        for (int bucket = 0; bucket < lows.Count; bucket++)
        {
            var conditions = new List<string>();
            var parameters = new List<(string, object?)>();
            if (bucket > 0)
            {
                conditions.Add($"{tuple} >= {Bound(table, "lo", lows[bucket], parameters)}");
            }

            if (bucket + 1 < lows.Count)
            {
                conditions.Add($"{tuple} < {Bound(table, "hi", lows[bucket + 1], parameters)}");
            }

            string where = conditions.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", conditions);
            string sql = $"SELECT count(*), coalesce(sum({RowHash(table)}), 0)::text FROM ONLY {table.Quoted} AS x{where}";
            var sides = await Task.WhenAll(
                PgSql.QueryAsync(sourceConnection, sql, r => (r.GetInt64(0), r.GetString(1)), cancellationToken, [.. parameters]),
                PgSql.QueryAsync(targetConnection, sql, r => (r.GetInt64(0), r.GetString(1)), cancellationToken, [.. parameters])).ConfigureAwait(false);
            if (sides[0][0] != sides[1][0])
            {
                string names = table.Key.Count == 1 ? table.Key[0].Name : "(" + string.Join(", ", table.Key.Select(k => k.Name)) + ")";
                return $"{names} {Show(lows[bucket])}..{Show(highs[bucket])}";
            }
        }

        return null;

        static string?[] Values(NpgsqlDataReader reader)
        {
            var values = new string?[reader.FieldCount];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = reader.IsDBNull(i) ? null : reader.GetString(i);
            }

            return values;
        }

        static string Show(string?[] key) => key.Length == 1 ? key[0] ?? "NULL" : "(" + string.Join(", ", key.Select(v => v ?? "NULL")) + ")";
    }

    /// <summary>A key bound as parameters cast to the key columns' types: <c>(@lo0::integer, @lo1::text)</c>.</summary>
    private static string Bound(PgTable table, string prefix, string?[] values, List<(string, object?)> parameters)
    {
        var parts = new List<string>();
        for (int i = 0; i < table.Key.Count; i++)
        {
            string name = prefix + i.ToString(CultureInfo.InvariantCulture);
            parameters.Add((name, values[i]));
            parts.Add($"@{name}::text::{table.Key[i].Type}");
        }

        return table.Key.Count == 1 ? parts[0] : "(" + string.Join(", ", parts) + ")";
    }
}
