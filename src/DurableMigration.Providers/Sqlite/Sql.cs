using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Small synchronous statement runners and SQL quoting.</summary>
/// <remarks>
/// Microsoft.Data.Sqlite's async methods run synchronously anyway; the provider runs its SQLite work on a pool
/// thread (<see cref="Task.Run(Action, CancellationToken)"/>) and uses these plain calls inside it.
/// </remarks>
internal static class Sql
{
    /// <summary>Quotes an identifier: <c>"name"</c> with inner quotes doubled.</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Quotes a string literal: <c>'text'</c> with inner quotes doubled.</summary>
    public static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>Runs one or more statements.</summary>
    public static int Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>Runs a query and returns its first value, or <c>null</c>.</summary>
    public static object? Scalar(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        object? value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    /// <summary>Runs a query and returns its first value as a 64-bit integer (0 when null).</summary>
    public static long Int64(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters) =>
        Scalar(connection, sql, parameters) is { } value ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : 0;

    /// <summary>Runs a query and maps every row.</summary>
    public static List<T> Query<T>(SqliteConnection connection, string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    /// <summary>Creates a command with named parameters.</summary>
    public static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    /// <summary>Runs <paramref name="work"/> in one transaction, rolling back if it throws.</summary>
    /// <remarks>Plain BEGIN/COMMIT statements rather than <see cref="SqliteConnection.BeginTransaction()"/>: the statements inside need no transaction object.</remarks>
    public static void InTransaction(SqliteConnection connection, Action work, bool immediate = false)
    {
        Execute(connection, immediate ? "BEGIN IMMEDIATE" : "BEGIN");
        try
        {
            work();
            Execute(connection, "COMMIT");
        }
        catch
        {
            // SQLite may have rolled back already (an interrupt, some I/O errors); only an open transaction needs it.
            if (SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0)
            {
                Execute(connection, "ROLLBACK");
            }

            throw;
        }
    }

    /// <summary>Gets a string column, or <c>null</c>.</summary>
    public static string? NullableString(this SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
