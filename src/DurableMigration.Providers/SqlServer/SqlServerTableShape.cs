namespace DurableMigration.Providers.SqlServer;

/// <summary>One column of a table as validation reads it from <c>sys.columns</c>.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="BaseType">The system type it is stored as (an alias type's base type; <c>clr</c> for geography, geometry, hierarchyid and CLR types).</param>
/// <param name="KeyOrdinal">Its position in the primary key, from 1; 0 when it is not part of it.</param>
/// <param name="IsComputed">Whether it is computed (then it is derived, not copied, and not compared).</param>
internal sealed record SqlServerColumn(string Name, string BaseType, int KeyOrdinal, bool IsComputed)
{
    /// <summary>Gets a value indicating whether checksums include the column: stored columns except <c>rowversion</c>, which every server assigns anew.</summary>
    public bool IsCompared => !IsComputed && BaseType is not "timestamp";
}

/// <summary>A table with its columns in the source's order: what the per-table validation statements are built from.</summary>
/// <param name="Schema">The schema.</param>
/// <param name="Name">The table's name.</param>
/// <param name="Columns">Its columns, by <c>column_id</c>.</param>
internal sealed record SqlServerTableShape(string Schema, string Name, IReadOnlyList<SqlServerColumn> Columns)
{
    /// <summary>Gets the display name, <c>schema.table</c>.</summary>
    public string Display => SqlServerIdentifier.DisplayName(Schema, Name);

    /// <summary>Gets the quoted name, <c>[schema].[table]</c>.</summary>
    public string Quoted => SqlServerIdentifier.Quote(Schema, Name);

    /// <summary>Gets the primary key's columns in key order; empty for a table without one.</summary>
    public IReadOnlyList<SqlServerColumn> Key => [.. Columns.Where(c => c.KeyOrdinal > 0).OrderBy(c => c.KeyOrdinal)];
}
