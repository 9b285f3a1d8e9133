using DurableMigration.Manifest;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Post-validation: row counts, order-independent checksums and missing objects.</summary>
public sealed partial class SqliteDatabaseProvider
{
    /// <inheritdoc/>
    /// <remarks>
    /// For every table that moves: row counts (<see cref="ValidationOptions.RowCounts"/>) and a
    /// <see cref="TableChecksum"/> over each row's stored columns, in the source's column order
    /// (<see cref="ValidationOptions.Checksums"/>; a checksum scan yields the row counts too). Source and target are
    /// read at the same time, each inside one read transaction, so each side is one consistent snapshot. Rowids are
    /// not part of the checksum. <see cref="ValidationReport.MissingInTarget"/> lists the tables, views, indexes and
    /// triggers that move but the target lacks (by name), and <c>table.column</c> for a column the target's table
    /// lacks; the read-only triggers and the marker table are ignored. A mismatch is reported, never thrown; a
    /// missing target is reported as everything missing.
    /// </remarks>
    public Task<ValidationReport> ValidateAsync(MigrationEndpoints endpoints, ValidationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return RunAsync(endpoints, "validation", job => ValidateCoreAsync(job, options), cancellationToken);
    }

    private async Task<ValidationReport> ValidateCoreAsync(Job job, ValidationOptions options)
    {
        var cancellationToken = job.CancellationToken;
        var (_, plan) = ReadSource(job, refuseBlocking: false);
        job.Reading(job.Source); // the target is the migration's own; a lock that stops validation is most likely the source's
        var target = job.Target;
        var present = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var comparable = new List<ComparedTable>();
        var lackingColumns = new List<string>();
        // An absent target, or a file that is no database, lacks everything: the report says so without throwing.
        if (MigrationMarker.Inspect(target).Kind is not (TargetKind.Absent or TargetKind.NotADatabase))
        {
            using var connection = target.Open(SqliteOpenMode.ReadOnly);
            present.UnionWith(Sql.Query(connection, "SELECT name FROM main.sqlite_schema", r => r.GetString(0)));
            foreach (var table in plan.Tables.Where(t => present.Contains(t.Name)))
            {
                var columns = Sql.Query(connection, "SELECT name FROM pragma_table_xinfo($table, 'main')", r => r.GetString(0), ("$table", table.Name))
                    .ToHashSet(StringComparer.OrdinalIgnoreCase);
                var lacking = table.StoredColumns.Where(c => !columns.Contains(c.Name)).Select(c => $"{table.Name}.{c.Name}").ToList();
                lackingColumns.AddRange(lacking);
                if (lacking.Count == 0)
                {
                    comparable.Add(ComparedTable.Of(table));
                }
            }

            comparable.AddRange(plan.VirtualTables.Where(v => v.HasContent && present.Contains(v.Name)).Select(ComparedTable.Of));
        }

        var missing = plan.Objects.Select(o => o.Name).Where(n => !present.Contains(n)).Concat(lackingColumns).ToList();
        var measuredTables = plan.Tables.Select(ComparedTable.Of).Concat(plan.VirtualTables.Where(v => v.HasContent).Select(ComparedTable.Of)).ToList();
        var stored = options.Checksums && comparable.Count > 0 ? SourceChecksums.Load(target) : [];
        var sourceTask = Task.Run(() => Measure(job.Source, measuredTables, options, stored, cancellationToken), cancellationToken);
        var targetTask = Task.Run(() => MeasureTarget(target, comparable, options, cancellationToken), cancellationToken);
        var measured = await Task.WhenAll(sourceTask, targetTask).ConfigureAwait(false);
        var (sourceFigures, targetFigures) = (measured[0], measured[1]);

        var tables = measuredTables.Select(t =>
        {
            var s = sourceFigures[t.Name];
            var found = targetFigures.TryGetValue(t.Name, out var d);
            return new TableValidation(t.Name, s.Rows, found ? d.Rows : 0, s.Checksum, found ? d.Checksum : null);
        }).ToList();
        bool compared = options.RowCounts || options.Checksums;
        var report = new ValidationReport(tables, missing)
        {
            ComparedRowCounts = options.RowCounts || options.Checksums, // a checksum scan counts the rows too
            ComparedChecksums = options.Checksums,
            ComparedTables = compared ? tables.Count : 0,
        };
        Logs.Validated(_logger, job.Database, !report.Passed ? "FAILED" : report.Validated ? "passed" : "not validated", tables.Count(t => !t.Matches), missing.Count);
        return report;
    }

    /// <summary>Counts and checksums <paramref name="tables"/> of one file inside one read transaction.</summary>
    /// <remarks>
    /// Runs on its own thread, beside the other file's: the two sides are read at the same time, one core each. The
    /// rows are read through a <see cref="ScanConnection"/>, which hands each value's bytes to the checksum without a
    /// string or array per value and without a lock per call.
    /// </remarks>
    private static Dictionary<string, (long Rows, string? Checksum)> Measure(SqliteFile file, IReadOnlyList<ComparedTable> tables, ValidationOptions options, IReadOnlyDictionary<string, SourceChecksum>? stored, CancellationToken cancellationToken)
    {
        var figures = new Dictionary<string, (long Rows, string? Checksum)>(StringComparer.OrdinalIgnoreCase);
        if (tables.Count == 0)
        {
            return figures;
        }

        using var connection = ScanConnection.Open(file);
        using var interrupt = cancellationToken.Register(connection.Interrupt);
        connection.InReadTransaction(() =>
        {
            foreach (var table in tables)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (options.Checksums && stored is not null && stored.TryGetValue(table.Name, out var known) && SourceChecksums.StillHolds(connection, known, table.Select))
                {
                    figures[table.Name] = (known.Rows, known.Checksum); // unchanged since the copy hashed it
                }
                else if (options.Checksums)
                {
                    var checksum = connection.Checksum(table.Select);
                    figures[table.Name] = (checksum.Rows, checksum.Value);
                }
                else
                {
                    figures[table.Name] = (options.RowCounts ? connection.Int64($"SELECT count(*) FROM main.{Sql.Quote(table.Name)}") : 0, null);
                }
            }
        });

        return figures;
    }

    /// <summary>Counts and checksums the target's <paramref name="tables"/> on both cores: two connections, each hashing one half of every rowid table (by rowid range).</summary>
    /// <remarks>
    /// The two read transactions must see one snapshot. In a rollback-journal database the first one's shared lock,
    /// taken before the second begins, keeps any writer from committing in between. A WAL database has no such
    /// guarantee, so it is read on one connection (<see cref="Measure"/>), as are row counts alone.
    /// </remarks>
    private static Dictionary<string, (long Rows, string? Checksum)> MeasureTarget(SqliteFile file, IReadOnlyList<ComparedTable> tables, ValidationOptions options, CancellationToken cancellationToken)
    {
        if (!options.Checksums || tables.Count == 0 || Environment.ProcessorCount < 2)
        {
            return Measure(file, tables, options, null, cancellationToken);
        }

        using var first = ScanConnection.Open(file);
        if (string.Equals(first.Text("PRAGMA main.journal_mode"), "wal", StringComparison.OrdinalIgnoreCase))
        {
            first.Dispose();
            return Measure(file, tables, options, null, cancellationToken);
        }

        using var second = ScanConnection.Open(file);
        using var interruptFirst = cancellationToken.Register(first.Interrupt);
        using var interruptSecond = cancellationToken.Register(second.Interrupt);
        try
        {
            first.BeginRead();
            second.BeginRead();

            var (lower, upper) = ComparedTable.SplitByRowid(first, tables);
            var upperTask = Task.Run(() => upper.Select(t => (t.Table.Name, Checksum: second.Checksum(t.Select))).ToList(), cancellationToken);
            List<(string Name, TableChecksum Checksum)> lowerParts;
            try
            {
                lowerParts = lower.Select(t => (t.Table.Name, Checksum: first.Checksum(t.Select))).ToList();
            }
            finally
            {
                ((IAsyncResult)upperTask).AsyncWaitHandle.WaitOne(); // the second connection stays in use until its task ends
            }

            var sums = new Dictionary<string, TableChecksum>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, checksum) in lowerParts.Concat(upperTask.GetAwaiter().GetResult()))
            {
                if (sums.TryGetValue(name, out var sum))
                {
                    sum.Add(checksum);
                }
                else
                {
                    sums[name] = checksum;
                }
            }

            return sums.ToDictionary(p => p.Key, p => (p.Value.Rows, (string?)p.Value.Value), StringComparer.OrdinalIgnoreCase);
        }
        finally
        {
            first.EndRead();
            second.EndRead();
        }
    }
}
