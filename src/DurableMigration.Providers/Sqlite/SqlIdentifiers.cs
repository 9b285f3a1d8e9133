namespace DurableMigration.Providers.Sqlite;

/// <summary>Lists the identifiers a SQL statement mentions: bare words and quoted names, skipping string literals and comments.</summary>
/// <remarks>
/// Used to decide whether a view or trigger reads a table the filter leaves behind. It over-approximates (a column
/// that shares a table's name counts as a mention), which errs on leaving the object behind rather than creating
/// one that fails in the target.
/// </remarks>
internal static class SqlIdentifiers
{
    /// <summary>Returns the identifiers <paramref name="sql"/> mentions, compared case-insensitively as SQLite does.</summary>
    public static HashSet<string> Of(string sql)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        int i = 0;
        while (i < sql.Length)
        {
            char c = sql[i];
            if (c == '-' && At(sql, i + 1) == '-')
            {
                i = sql.IndexOf('\n', i) is var eol and >= 0 ? eol + 1 : sql.Length;
            }
            else if (c == '/' && At(sql, i + 1) == '*')
            {
                i = sql.IndexOf("*/", i + 2, StringComparison.Ordinal) is var end and >= 0 ? end + 2 : sql.Length;
            }
            else if (c == '\'')
            {
                i = SkipQuoted(sql, i, '\'', out _);
            }
            else if (c is '"' or '`')
            {
                i = SkipQuoted(sql, i, c, out string name);
                names.Add(name);
            }
            else if (c == '[')
            {
                int end = sql.IndexOf(']', i + 1);
                end = end < 0 ? sql.Length : end;
                names.Add(sql[(i + 1)..end]);
                i = end + 1;
            }
            else if (IsWordStart(c))
            {
                int start = i;
                while (i < sql.Length && IsWordPart(sql[i]))
                {
                    i++;
                }

                names.Add(sql[start..i]);
            }
            else
            {
                i++;
            }
        }

        return names;
    }

    private static char At(string sql, int index) => index < sql.Length ? sql[index] : '\0';

    private static bool IsWordStart(char c) => char.IsLetter(c) || c == '_' || c > 127;

    private static bool IsWordPart(char c) => char.IsLetterOrDigit(c) || c is '_' or '$' || c > 127;

    // A quoted token ends at an undoubled closing quote; a doubled quote stands for one quote character.
    private static int SkipQuoted(string sql, int start, char quote, out string content)
    {
        var text = new System.Text.StringBuilder();
        int i = start + 1;
        while (i < sql.Length)
        {
            if (sql[i] == quote)
            {
                if (At(sql, i + 1) == quote)
                {
                    text.Append(quote);
                    i += 2;
                    continue;
                }

                content = text.ToString();
                return i + 1;
            }

            text.Append(sql[i]);
            i++;
        }

        content = text.ToString();
        return sql.Length;
    }
}
