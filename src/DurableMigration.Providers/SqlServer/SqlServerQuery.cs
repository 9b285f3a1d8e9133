using System.Globalization;

namespace DurableMigration.Providers.SqlServer;

/// <summary>One SQL Server statement with a stable name: the unit <see cref="ISqlServerQueryRunner"/> runs, recordings replay and the golden file lists.</summary>
/// <param name="Name">A stable name, such as <c>assessment.clr-assemblies</c>; recorded result sets are stored under it.</param>
/// <param name="Description">What the statement reads or does, one line.</param>
/// <param name="Text">The T-SQL text; values go in as parameters (<c>@database</c>), identifiers quoted by <see cref="SqlServerIdentifier.Quote(string)"/>.</param>
public sealed record SqlServerQuery(string Name, string Description, string Text)
{
    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>One row of a result set, by column name (case-insensitive). Values are <see cref="string"/>, <see cref="long"/>, <see cref="decimal"/>, <see cref="double"/>, <see cref="bool"/> or <c>null</c>.</summary>
public sealed class SqlServerRow
{
    private readonly Dictionary<string, object?> _values;

    /// <summary>Initializes a row from its values by column name.</summary>
    /// <param name="values">The values; names compare case-insensitively.</param>
    public SqlServerRow(IEnumerable<KeyValuePair<string, object?>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = new Dictionary<string, object?>(values, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Gets the column names.</summary>
    public IEnumerable<string> Columns => _values.Keys;

    /// <summary>Gets a value; fails naming the column when the row has none of that name.</summary>
    /// <param name="column">The column's name.</param>
    public object? this[string column] =>
        _values.TryGetValue(column, out object? value)
            ? value
            : throw new KeyNotFoundException($"The result row has no column '{column}' (it has: {string.Join(", ", _values.Keys)}).");

    /// <summary>Gets a column as text; <c>null</c> for SQL NULL.</summary>
    /// <param name="column">The column's name.</param>
    /// <returns>The text.</returns>
    public string? GetString(string column) => this[column] switch
    {
        null => null,
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        object o => o.ToString(),
    };

    /// <summary>Gets a column as a 64-bit integer; <paramref name="ifNull"/> for SQL NULL.</summary>
    /// <param name="column">The column's name.</param>
    /// <param name="ifNull">The value for SQL NULL.</param>
    /// <returns>The number.</returns>
    public long GetInt64(string column, long ifNull = 0) => this[column] switch
    {
        null => ifNull,
        bool b => b ? 1 : 0,
        string s => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture),
        object o => Convert.ToInt64(o, CultureInfo.InvariantCulture),
    };

    /// <summary>Gets a column as a 32-bit integer; <paramref name="ifNull"/> for SQL NULL.</summary>
    /// <param name="column">The column's name.</param>
    /// <param name="ifNull">The value for SQL NULL.</param>
    /// <returns>The number.</returns>
    public int GetInt32(string column, int ifNull = 0) => checked((int)GetInt64(column, ifNull));

    /// <summary>Gets a column as a Boolean (bit, or a number other than 0); <c>false</c> for SQL NULL.</summary>
    /// <param name="column">The column's name.</param>
    /// <returns>The value.</returns>
    public bool GetBoolean(string column) => this[column] switch
    {
        null => false,
        bool b => b,
        string s => s is "1" || s.Equals("true", StringComparison.OrdinalIgnoreCase),
        object o => Convert.ToInt64(o, CultureInfo.InvariantCulture) != 0,
    };
}
