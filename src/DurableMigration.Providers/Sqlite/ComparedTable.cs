namespace DurableMigration.Providers.Sqlite;

/// <summary>What validation compares for one table, and what the copy hashes of the source for it: its name and the query that reads its rows.</summary>
/// <param name="Name">The table.</param>
/// <param name="Select">Its stored columns in the source's order (no rowid, no generated columns); for a virtual table its rowid and declared columns, that is its content, never its shadow tables.</param>
/// <param name="RowidName">A name of its rowid, when it is an ordinary rowid table (it may then be read in rowid ranges).</param>
internal sealed record ComparedTable(string Name, string Select, string? RowidName = null)
{
    public static ComparedTable Of(SqliteTable table) =>
        new(table.Name, $"SELECT {string.Join(", ", table.StoredColumns.Select(c => Sql.Quote(c.Name)))} FROM main.{Sql.Quote(table.Name)}", table.WithoutRowid ? null : table.RowidName);

    public static ComparedTable Of(SqliteVirtualTable table) => new(table.Name, table.ContentSelect("main"));

    /// <summary>
    /// Splits <paramref name="tables"/> into two lists of queries for two connections: each rowid table at the middle of
    /// its rowid range (read on <paramref name="connection"/>, its lower half on the first list, its upper half on the
    /// second), a table that cannot be split whole on the list with fewer queries. The halves' checksums add up like rows.
    /// </summary>
    public static (List<(ComparedTable Table, string Select)> Lower, List<(ComparedTable Table, string Select)> Upper) SplitByRowid(ScanConnection connection, IEnumerable<ComparedTable> tables)
    {
        var lower = new List<(ComparedTable, string)>();
        var upper = new List<(ComparedTable, string)>();
        foreach (var table in tables)
        {
            if (table.RowidName is { } rowid)
            {
                string from = $" FROM main.{Sql.Quote(table.Name)}";
                long min = connection.Int64($"SELECT min({rowid}){from}");
                long max = connection.Int64($"SELECT max({rowid}){from}");
                long middle = (min / 2) + (max / 2) + (((min % 2) + (max % 2)) / 2);
                lower.Add((table, $"{table.Select} WHERE {rowid} <= {middle}"));
                upper.Add((table, $"{table.Select} WHERE {rowid} > {middle}"));
            }
            else
            {
                (lower.Count <= upper.Count ? lower : upper).Add((table, table.Select));
            }
        }

        return (lower, upper);
    }
}
