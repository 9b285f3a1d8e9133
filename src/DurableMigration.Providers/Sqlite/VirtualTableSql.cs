using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Reads <c>CREATE VIRTUAL TABLE</c> statements, and tells whether this SQLite can create a virtual table.</summary>
internal static class VirtualTableSql
{
    private static readonly ConcurrentDictionary<string, string?> Problems = new(StringComparer.Ordinal);

    /// <summary>Splits <c>CREATE VIRTUAL TABLE name USING module(arg, ...)</c> into the module name (lower case) and its arguments.</summary>
    public static (string Module, IReadOnlyList<string> Arguments) Parse(string sql)
    {
        var match = System.Text.RegularExpressions.Regex.Match(sql, @"\bUSING\s+(\w+)\s*(?:\((.*)\))?\s*;?\s*$", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.Singleline);
        return match.Success
            ? (match.Groups[1].Value.ToLowerInvariant(), SplitArguments(match.Groups[2].Value))
            : (string.Empty, []);
    }

    /// <summary>Returns the value of a <c>content=</c> argument (unquoted; empty for a contentless table), or <c>null</c> for any other argument.</summary>
    public static string? ContentOption(string argument)
    {
        int equals = argument.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0 || !string.Equals(argument[..equals].Trim(), "content", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string value = argument[(equals + 1)..].Trim();
        if (value.Length >= 2 && (value[0], value[^1]) is ('\'', '\'') or ('"', '"') or ('`', '`') or ('[', ']'))
        {
            char quote = value[0];
            value = value[1..^1];
            if (quote != '[')
            {
                value = value.Replace(new string(quote, 2), quote.ToString(), StringComparison.Ordinal);
            }
        }

        return value;
    }

    /// <summary>Tells why this SQLite cannot create <paramref name="table"/> (missing module or tokenizer), or <c>null</c> when it can.</summary>
    /// <param name="table">The virtual table.</param>
    /// <param name="contentTableSql">The CREATE statement of its content table, which FTS4 reads when it declares no columns.</param>
    /// <remarks>Creates it in a throw-away in-memory database: the same library creates it in the target. Answers are cached per statement.</remarks>
    public static string? Problem(SqliteVirtualTable table, string? contentTableSql) =>
        Problems.GetOrAdd(table.Sql + "\0" + contentTableSql, _ => TryCreate(table, contentTableSql));

    private static string? TryCreate(SqliteVirtualTable table, string? contentTableSql)
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        if (Sql.Scalar(connection, "SELECT count(*) FROM pragma_module_list WHERE name = $module", ("$module", table.Module)) is 0L)
        {
            return $"its module '{table.Module}' is not available in this SQLite ({Sql.Scalar(connection, "SELECT sqlite_version()")})";
        }

        if (table.Kind == VirtualTableKind.Unknown)
        {
            return $"DurableMigration has no way to move the content of module '{table.Module}'";
        }

        if (table.Kind == VirtualTableKind.Derived)
        {
            return null; // it reads another table, which need not exist here
        }

        try
        {
            if (contentTableSql is not null)
            {
                Sql.Execute(connection, contentTableSql);
            }

            Sql.Execute(connection, table.Sql);
            return null;
        }
        catch (SqliteException ex)
        {
            return $"this SQLite cannot create it: {SqliteErrors.OneLine(ex.Message)}";
        }
    }

    // Arguments are separated by commas outside quotes and parentheses.
    private static List<string> SplitArguments(string text)
    {
        var arguments = new List<string>();
        int depth = 0;
        int start = 0;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '\'' or '"' or '`')
            {
                quote = c;
            }
            else if (c == '[')
            {
                quote = ']';
            }
            else if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                depth--;
            }
            else if (c == ',' && depth == 0)
            {
                arguments.Add(text[start..i].Trim());
                start = i + 1;
            }
        }

        if (text.Trim().Length > 0)
        {
            arguments.Add(text[start..].Trim());
        }

        return arguments;
    }
}
