using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Sqlite;

/// <summary>One source table's <see cref="TableChecksum"/>, taken during the data copy, and what proves it still holds.</summary>
/// <param name="Table">The table.</param>
/// <param name="Select">The query that was hashed (validation's query for the table, stored columns in the source's order).</param>
/// <param name="Rows">The rows hashed.</param>
/// <param name="Checksum">The checksum.</param>
/// <param name="Capture">The id of the source's change capture the snapshot was read under.</param>
/// <param name="Seq">The last change that capture had recorded in that snapshot.</param>
internal sealed record SourceChecksum(string Table, string Select, long Rows, string Checksum, string Capture, long Seq);

/// <summary>Source checksums computed during the copy, kept in the target's marker table, reused by validation for tables the change capture proves unchanged.</summary>
/// <remarks>
/// <para>
/// While the copy runs, read-only connections to the source on idle threads hash each moving ordinary table (two
/// connections on two cores, each a half of every rowid table; see <see cref="Compute"/>), each part inside its own read transaction, together with the highest <c>seq</c> the change
/// capture (<see cref="ChangeCapture"/>) had recorded in that snapshot. The capture was installed before the copy,
/// so every later committed change to the table appends a row with a higher <c>seq</c> naming it.
/// </para>
/// <para>
/// Validation trusts a stored checksum only when, in its own source snapshot: the capture table exists with the same
/// id, the table's three capture triggers are still on that table, the query to hash is exactly the stored one, and
/// no change to the table has been recorded after the stored <c>seq</c>. Otherwise (no capture, a read-only source,
/// a capture replaced, a schema change, a marker without checksums) the source table is hashed again, as before.
/// The target is always read back from its file.
/// </para>
/// </remarks>
internal static class SourceChecksums
{
    /// <summary>The marker table's column that holds them (JSON).</summary>
    public const string Column = "source_checksums";

    /// <summary>Hashes <paramref name="tables"/> of the source under capture <paramref name="capture"/>; a table whose snapshot shows another capture (or none) is left out.</summary>
    /// <remarks>
    /// With <paramref name="split"/> and two or more cores, a second idle thread on its own connection hashes the upper half of each rowid table
    /// (by rowid range) while this one hashes the lower half; other tables go whole to one side. Each part is read in
    /// its own read transaction with the capture's <c>seq</c> at that moment, and the parts combine like rows (sum and
    /// xor) under the smaller <c>seq</c>: validation trusts the result only when nothing changed in the table after
    /// the earlier snapshot, so both parts then saw the same table.
    /// </remarks>
    public static List<SourceChecksum> Compute(SqliteFile source, IReadOnlyList<ComparedTable> tables, string capture, bool split, CancellationToken cancellationToken)
    {
        List<(ComparedTable Table, string Select)> lower = [.. tables.Select(t => (t, t.Select))];
        List<(ComparedTable Table, string Select)> upper = [];
        if (split && Environment.ProcessorCount > 1)
        {
            using var connection = ScanConnection.Open(source);
            connection.InReadTransaction(() => (lower, upper) = ComparedTable.SplitByRowid(connection, tables));
        }

        var upperTask = upper.Count == 0 ? Task.FromResult(new List<PartChecksum>()) : IdleThread.Run(() => Hash(source, upper, capture, cancellationToken));
        List<PartChecksum> lowerParts;
        try
        {
            lowerParts = Hash(source, lower, capture, cancellationToken);
        }
        finally
        {
            ((IAsyncResult)upperTask).AsyncWaitHandle.WaitOne(); // never leave it reading the source behind us
        }

        var parts = lowerParts.Concat(upperTask.GetAwaiter().GetResult()).ToLookup(p => p.Table);
        var expected = lower.Concat(upper).CountBy(p => p.Table).ToDictionary();
        var results = new List<SourceChecksum>(tables.Count);
        foreach (var table in tables)
        {
            var own = parts[table].ToList();
            if (own.Count != expected[table])
            {
                continue; // a part saw another capture
            }

            var checksum = own[0].Checksum;
            foreach (var part in own.Skip(1))
            {
                checksum.Add(part.Checksum);
            }

            results.Add(new SourceChecksum(table.Name, table.Select, checksum.Rows, checksum.Value, capture, own.Min(p => p.Seq)));
        }

        return results;
    }

    /// <summary>Hashes <paramref name="parts"/> on one connection, each in its own read transaction; stops at the first snapshot with another capture.</summary>
    private static List<PartChecksum> Hash(SqliteFile source, List<(ComparedTable Table, string Select)> parts, string capture, CancellationToken cancellationToken)
    {
        var results = new List<PartChecksum>(parts.Count);
        using var connection = ScanConnection.Open(source);
        using var interrupt = cancellationToken.Register(connection.Interrupt);
        foreach (var part in parts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            PartChecksum? result = null;
            connection.InReadTransaction(() =>
            {
                if (CaptureId(connection) == capture)
                {
                    long seq = connection.Int64($"SELECT max(seq) FROM main.{Sql.Quote(SqliteSchema.ChangesTable)}");
                    result = new PartChecksum(part.Table, connection.Checksum(part.Select), seq);
                }
            });
            if (result is null)
            {
                break;
            }

            results.Add(result);
        }

        return results;
    }

    /// <summary>Writes <paramref name="checksums"/> into the target's marker (adding the column to a marker written without it).</summary>
    public static void Store(SqliteConnection connection, IReadOnlyList<SourceChecksum> checksums)
    {
        bool hasColumn = Sql.Int64(connection, "SELECT count(*) FROM pragma_table_info($table) WHERE name = $column", ("$table", SqliteSchema.MarkerTable), ("$column", Column)) > 0;
        if (!hasColumn)
        {
            Sql.Execute(connection, $"ALTER TABLE main.{Sql.Quote(SqliteSchema.MarkerTable)} ADD COLUMN {Column} TEXT");
        }

        Sql.Execute(connection, $"UPDATE main.{Sql.Quote(SqliteSchema.MarkerTable)} SET {Column} = $json", ("$json", JsonSerializer.Serialize(checksums)));
    }

    /// <summary>Reads the checksums stored in the target's marker, by table; empty when there are none or the target cannot tell.</summary>
    public static Dictionary<string, SourceChecksum> Load(SqliteFile target)
    {
        var stored = new Dictionary<string, SourceChecksum>(StringComparer.OrdinalIgnoreCase);
        try
        {
            using var connection = target.Open(SqliteOpenMode.ReadOnly);
            bool hasColumn = Sql.Int64(connection, "SELECT count(*) FROM pragma_table_info($table) WHERE name = $column", ("$table", SqliteSchema.MarkerTable), ("$column", Column)) > 0;
            if (!hasColumn || Sql.Scalar(connection, $"SELECT {Column} FROM main.{Sql.Quote(SqliteSchema.MarkerTable)} LIMIT 1") is not string json)
            {
                return stored;
            }

            foreach (var checksum in JsonSerializer.Deserialize<List<SourceChecksum>>(json) ?? [])
            {
                stored[checksum.Table] = checksum;
            }
        }
        catch (Exception ex) when (ex is SqliteException or JsonException)
        {
            stored.Clear(); // unreadable: hash the source instead
        }

        return stored;
    }

    /// <summary>Inside <paramref name="connection"/>'s read transaction on the source: tells whether <paramref name="stored"/> is still the checksum of <paramref name="select"/>.</summary>
    public static bool StillHolds(ScanConnection connection, SourceChecksum stored, string select)
    {
        if (!string.Equals(stored.Select, select, StringComparison.Ordinal) || CaptureId(connection) != stored.Capture)
        {
            return false;
        }

        // The table's own capture triggers: a table dropped and created again, or renamed, has none of them.
        string names = string.Join(", ", new[] { "insert", "update", "delete" }.Select(o => Sql.Literal(SqliteSchema.CaptureTriggerPrefix + stored.Table + "_" + o)));
        long triggers = connection.Int64($"SELECT count(*) FROM main.sqlite_schema WHERE type = 'trigger' AND tbl_name = {Sql.Literal(stored.Table)} AND name IN ({names})");
        if (triggers != 3)
        {
            return false;
        }

        // The change log only grows (the sync reads it, never deletes from it): a change after the snapshot has a higher seq.
        return connection.Int64($"SELECT EXISTS (SELECT 1 FROM main.{Sql.Quote(SqliteSchema.ChangesTable)} WHERE seq > {stored.Seq} AND tbl = {Sql.Literal(stored.Table)})") == 0;
    }

    private sealed record PartChecksum(ComparedTable Table, TableChecksum Checksum, long Seq);

    private static string? CaptureId(ScanConnection connection)
    {
        bool exists = connection.Int64($"SELECT count(*) FROM main.sqlite_schema WHERE type = 'table' AND name = {Sql.Literal(SqliteSchema.ChangesTable)}") > 0;
        return exists ? connection.Text($"SELECT k1 FROM main.{Sql.Quote(SqliteSchema.ChangesTable)} WHERE seq = 0") : null;
    }
}

/// <summary>The source's checksums, computed on an idle thread while a copy runs (see <see cref="SourceChecksums"/> and <see cref="IdleThread"/>).</summary>
/// <remarks>Disposing cancels the hashing if it still runs and waits for it: it never reads the source behind the step.</remarks>
internal sealed class BackgroundSourceHashing : IDisposable
{
    private readonly CancellationTokenSource _cancellation;
    private readonly Task<List<SourceChecksum>> _hashing;

    private BackgroundSourceHashing(CancellationTokenSource cancellation, Task<List<SourceChecksum>> hashing)
    {
        _cancellation = cancellation;
        _hashing = hashing;
    }

    /// <summary>Starts hashing <paramref name="tables"/> of <paramref name="source"/> (split over two threads with <paramref name="split"/>); nothing to hash without a capture that proves a table unchanged later.</summary>
    public static BackgroundSourceHashing Start(SqliteFile source, IReadOnlyList<ComparedTable> tables, string? capture, bool split, CancellationToken cancellationToken)
    {
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var hashing = capture is null or MigrationMarker.NothingToCapture || tables.Count == 0
            ? Task.FromResult(new List<SourceChecksum>())
            : IdleThread.Run(() => SourceChecksums.Compute(source, tables, capture, split, cancellation.Token));
        return new BackgroundSourceHashing(cancellation, hashing);
    }

    /// <summary>Waits for the checksums; on any failure there returns none and the reason, and validation hashes the source itself.</summary>
    public List<SourceChecksum> Wait(out Exception? failure)
    {
        failure = null;
        try
        {
            return _hashing.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            failure = ex;
            return [];
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_hashing.IsCompleted)
        {
            _cancellation.Cancel();
        }

        ((IAsyncResult)_hashing).AsyncWaitHandle.WaitOne();
        _cancellation.Dispose();
    }
}
