using System.Globalization;
using DurableMigration.Manifest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableMigration.Providers.SqlServer;

/// <summary>
/// Compares a SQL Server source database with its migrated target: object inventory, row counts and order-independent
/// per-table checksums computed inside each database, and, for a table that differs, the first primary key range where
/// it does.
/// </summary>
/// <remarks>
/// <para>
/// Objects: tables, views, procedures, functions, triggers and indexes of the source (of the tables the filter moves) that
/// the target lacks go to <see cref="ValidationReport.MissingInTarget"/> as <c>kind schema.name</c>
/// (<c>index ix_orders_date on dbo.orders</c>; indexes of system-named key constraints by kind, since their names differ
/// per server), and so does a column the target lacks or stores as another type (<c>column dbo.orders.total (money)</c>);
/// such a table's rows are not compared.
/// </para>
/// <para>
/// Rows: per table <c>COUNT_BIG(*)</c> and, with checksums on, the sum of every row's SHA-256 over its canonical text
/// (<see cref="SqlServerQueries"/> explains the choice), source and target at the same time, built from the source's
/// column list so that both sides hash the same text. Computed and <c>rowversion</c> columns are left out. The source
/// should be read-only by then (after cutover), or counts may move while they are read.
/// </para>
/// <para>
/// A table that differs and has a primary key is split by key order into ranges of
/// <see cref="SqlServerValidationOptions.BucketRows"/> rows (at most <see cref="SqlServerValidationOptions.MaxBuckets"/>),
/// numbered the same way on both sides; the first range whose count or checksum differs is named in
/// <see cref="TableValidation.Difference"/> (<c>rows differ in id 4001..5000</c>). Rows missing in one side shift the
/// later ranges, so only the first is reported. A table without a primary key says so instead.
/// </para>
/// </remarks>
public sealed class SqlServerValidation
{
    private readonly SqlServerValidationOptions _options;
    private readonly ILogger _logger;

    /// <summary>Initializes the validation.</summary>
    /// <param name="options">Key range sizes; defaults when <c>null</c>.</param>
    /// <param name="logger">The log; none when <c>null</c>.</param>
    public SqlServerValidation(SqlServerValidationOptions? options = null, ILogger<SqlServerValidation>? logger = null)
    {
        _options = options ?? new SqlServerValidationOptions();
        _logger = logger ?? NullLogger<SqlServerValidation>.Instance;
    }

    /// <summary>Compares <paramref name="source"/> with <paramref name="target"/> as <paramref name="options"/> asks.</summary>
    /// <param name="source">Runs statements in the source database.</param>
    /// <param name="target">Runs statements in the target database.</param>
    /// <param name="options">Whether to compare row counts and checksums; the inventory is always compared.</param>
    /// <param name="tables">Which tables moved; all when <c>null</c> (<c>schema.table</c>, <c>dbo</c> when the schema is left out).</param>
    /// <param name="cancellationToken">Cancels the validation.</param>
    /// <returns>The report; a mismatch is reported, never thrown.</returns>
    public async Task<ValidationReport> ValidateAsync(ISqlServerQueryRunner source, ISqlServerQueryRunner target, ValidationOptions options, TableFilter? tables = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        var filter = SqlServerAssessment.Normalize(tables);

        var reads = await Task.WhenAll(
            ReadCatalogAsync(source, cancellationToken),
            ReadCatalogAsync(target, cancellationToken)).ConfigureAwait(false);
        var (sourceObjects, sourceTables) = reads[0];
        var (targetObjects, targetTables) = reads[1];

        var moving = sourceTables.Where(t => SqlServerAssessment.Includes(filter, t.Display)).ToList();
        var present = new HashSet<string>(targetObjects.Select(o => o.Kind + " " + o.Name), StringComparer.Ordinal);
        var missing = sourceObjects
            .Where(o => o.Kind == "table" ? SqlServerAssessment.Includes(filter, o.Name) : o.Table is null || SqlServerAssessment.Includes(filter, o.Table))
            .Select(o => o.Kind + " " + o.Name)
            .Where(o => !present.Contains(o))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();

        var targetColumns = new HashSet<string>(targetTables.SelectMany(t => t.Columns.Select(c => ColumnKey(t, c))), StringComparer.Ordinal);
        var comparable = new List<SqlServerTableShape>();
        foreach (var table in moving.Where(t => present.Contains("table " + t.Display)))
        {
            var lacking = table.Columns.Where(c => !targetColumns.Contains(ColumnKey(table, c))).ToList();
            if (lacking.Count > 0)
            {
                missing.AddRange(lacking.Select(c => $"column {table.Display}.{c.Name} ({c.BaseType})"));
            }
            else
            {
                comparable.Add(table);
            }
        }

        var results = new List<TableValidation>();
        if (options.RowCounts || options.Checksums)
        {
            foreach (var table in comparable)
            {
                results.Add(await CompareTableAsync(source, target, table, options, cancellationToken).ConfigureAwait(false));
            }
        }

        var report = new ValidationReport(results, missing)
        {
            ComparedRowCounts = options.RowCounts,
            ComparedChecksums = options.Checksums,
            ComparedTables = options.RowCounts || options.Checksums ? results.Count : 0,
        };
        SqlServerLogs.Validated(_logger, source.Database, report.Summary, results.Count(r => !r.Matches), missing.Count);
        return report;
    }

    private async Task<TableValidation> CompareTableAsync(ISqlServerQueryRunner source, ISqlServerQueryRunner target, SqlServerTableShape table, ValidationOptions options, CancellationToken cancellationToken)
    {
        var query = options.Checksums ? SqlServerQueries.TableChecksum(table) : SqlServerQueries.TableCount(table);
        var parameters = new Dictionary<string, object?> { ["table"] = table.Display };
        var sides = await Task.WhenAll(
            source.QueryAsync(query, parameters, cancellationToken),
            target.QueryAsync(query, parameters, cancellationToken)).ConfigureAwait(false);
        var s = sides[0].Single();
        var d = sides[1].Single();
        long sourceRows = s.GetInt64("row_count");
        long targetRows = d.GetInt64("row_count");
        string? sourceChecksum = options.Checksums ? s.GetString("row_checksum") : null;
        string? targetChecksum = options.Checksums ? d.GetString("row_checksum") : null;
        bool differ = sourceRows != targetRows || sourceChecksum != targetChecksum;
        string? difference = null;
        if (differ)
        {
            difference = table.Key.Count == 0
                ? "no primary key: the differing rows cannot be narrowed down"
                : await FindDifferingRangeAsync(source, target, table, sourceRows, cancellationToken).ConfigureAwait(false);
            SqlServerLogs.TableDiffers(_logger, source.Database, table.Display,
                string.Create(CultureInfo.InvariantCulture, $"source {sourceRows} row(s), target {targetRows} row(s); {difference ?? "no key range narrowed"}"));
        }

        return new TableValidation(table.Display, options.RowCounts ? sourceRows : 0, options.RowCounts ? targetRows : 0, sourceChecksum, targetChecksum)
        {
            Difference = difference,
        };
    }

    /// <summary>Numbers both sides' rows by key into ranges of the same size and returns the first range whose count or checksum differs (<c>rows differ in id 4001..5000</c>); <c>null</c> when none does.</summary>
    private async Task<string?> FindDifferingRangeAsync(ISqlServerQueryRunner source, ISqlServerQueryRunner target, SqlServerTableShape table, long sourceRows, CancellationToken cancellationToken)
    {
        var query = SqlServerQueries.KeyRangeChecksums(table);
        var parameters = new Dictionary<string, object?> { ["table"] = table.Display, ["bucket_rows"] = _options.BucketRowsFor(sourceRows) };
        var sides = await Task.WhenAll(
            source.QueryAsync(query, parameters, cancellationToken),
            target.QueryAsync(query, parameters, cancellationToken)).ConfigureAwait(false);
        return DescribeFirstDifference(table, sides[0], sides[1]);
    }

    /// <summary>Compares key range rows (<c>bucket</c>, <c>row_count</c>, <c>row_checksum</c>, <c>first_key</c>, <c>last_key</c>) of both sides and describes the first that differs.</summary>
    internal static string? DescribeFirstDifference(SqlServerTableShape table, IReadOnlyList<SqlServerRow> source, IReadOnlyList<SqlServerRow> target)
    {
        var sourceBuckets = source.ToDictionary(r => r.GetInt64("bucket"));
        var targetBuckets = target.ToDictionary(r => r.GetInt64("bucket"));
        string keyName = table.Key.Count == 1 ? table.Key[0].Name : "(" + string.Join(", ", table.Key.Select(k => k.Name)) + ")";
        foreach (long bucket in sourceBuckets.Keys.Union(targetBuckets.Keys).Order())
        {
            sourceBuckets.TryGetValue(bucket, out var s);
            targetBuckets.TryGetValue(bucket, out var d);
            if (s is not null && d is not null
                && s.GetInt64("row_count") == d.GetInt64("row_count")
                && s.GetString("row_checksum") == d.GetString("row_checksum"))
            {
                continue;
            }

            return s is not null
                ? $"rows differ in {keyName} {s.GetString("first_key") ?? "NULL"}..{s.GetString("last_key") ?? "NULL"}"
                : $"rows differ in {keyName} {d!.GetString("first_key") ?? "NULL"}..{d.GetString("last_key") ?? "NULL"} (only in the target)";
        }

        return null;
    }

    private static string ColumnKey(SqlServerTableShape table, SqlServerColumn column) => $"{table.Display}\n{column.Name}\n{column.BaseType}";

    private static async Task<(List<(string Kind, string Name, string? Table)> Objects, List<SqlServerTableShape> Tables)> ReadCatalogAsync(ISqlServerQueryRunner side, CancellationToken cancellationToken)
    {
        var inventory = await side.QueryAsync(SqlServerQueries.Inventory, null, cancellationToken).ConfigureAwait(false);
        var columns = await side.QueryAsync(SqlServerQueries.Columns, null, cancellationToken).ConfigureAwait(false);
        var objects = inventory.Select(r => (r.GetString("kind") ?? "?", r.GetString("object_name") ?? "?", r.GetString("table_name"))).ToList();
        var tables = columns
            .GroupBy(r => (Schema: r.GetString("schema_name") ?? "?", Table: r.GetString("table_name") ?? "?"))
            .Select(g => new SqlServerTableShape(g.Key.Schema, g.Key.Table, [.. g.Select(r => new SqlServerColumn(
                r.GetString("column_name") ?? "?",
                r.GetString("base_type") ?? "?",
                r.GetInt32("key_ordinal"),
                r.GetBoolean("is_computed")))]))
            .ToList();
        return (objects, tables);
    }
}
