namespace DurableMigration.Providers.SqlServer;

/// <summary>Quotes SQL Server identifiers as <c>QUOTENAME</c> does, and splits the <c>schema.table</c> names of a table filter.</summary>
public static class SqlServerIdentifier
{
    /// <summary>The longest identifier SQL Server accepts (<c>sysname</c>), in characters.</summary>
    public const int MaxLength = 128;

    /// <summary>Quotes <paramref name="name"/> in brackets, doubling every <c>]</c>: <c>[my]]table]</c>. Like <c>QUOTENAME</c>, it refuses what is not a valid identifier.</summary>
    /// <param name="name">An identifier (not yet quoted).</param>
    /// <returns>The quoted identifier.</returns>
    /// <exception cref="ArgumentException">The name is empty, longer than <see cref="MaxLength"/> characters, or holds a NUL character.</exception>
    public static string Quote(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name.Length > MaxLength)
        {
            throw new ArgumentException($"A SQL Server identifier has 1 to {MaxLength} characters; this one has {name.Length}.", nameof(name));
        }

        if (name.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A SQL Server identifier cannot hold a NUL character.", nameof(name));
        }

        return "[" + name.Replace("]", "]]", StringComparison.Ordinal) + "]";
    }

    /// <summary>Quotes a schema-qualified name: <c>[dbo].[orders]</c>.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="name">The object's name.</param>
    /// <returns>The quoted two-part name.</returns>
    public static string Quote(string schema, string name) => Quote(schema) + "." + Quote(name);

    /// <summary>Quotes <paramref name="value"/> as a Unicode string literal: <c>N'it''s'</c>. For statement text that cannot take parameters only.</summary>
    /// <param name="value">The text.</param>
    /// <returns>The literal.</returns>
    public static string Literal(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return "N'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    /// <summary>Splits a filter's table name into schema and table: <c>sales.orders</c> → (<c>sales</c>, <c>orders</c>); a name without a dot is in <c>dbo</c>. Brackets around either part are removed.</summary>
    /// <param name="name">The table name as a manifest spells it.</param>
    /// <returns>The schema and the table.</returns>
    public static (string Schema, string Table) SplitTableName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        int dot = FindSeparator(name);
        return dot < 0 ? ("dbo", Unbracket(name.Trim())) : (Unbracket(name[..dot].Trim()), Unbracket(name[(dot + 1)..].Trim()));
    }

    /// <summary>The two-part display name the SQL Server pieces use in reports: <c>schema.table</c>, unquoted.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="name">The object's name.</param>
    /// <returns>The display name.</returns>
    public static string DisplayName(string schema, string name) => schema + "." + name;

    /// <summary>Finds the dot between schema and table, skipping dots inside brackets (<c>[my.schema].[t]</c>).</summary>
    private static int FindSeparator(string name)
    {
        bool inBrackets = false;
        for (int i = 0; i < name.Length; i++)
        {
            switch (name[i])
            {
                case '[' when !inBrackets:
                    inBrackets = true;
                    break;
                case ']' when inBrackets:
                    if (i + 1 < name.Length && name[i + 1] == ']')
                    {
                        i++;
                    }
                    else
                    {
                        inBrackets = false;
                    }

                    break;
                case '.' when !inBrackets:
                    return i;
            }
        }

        return -1;
    }

    private static string Unbracket(string part) =>
        part.Length >= 2 && part[0] == '[' && part[^1] == ']' ? part[1..^1].Replace("]]", "]", StringComparison.Ordinal) : part;
}
