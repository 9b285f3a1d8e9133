using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Tests.Fixtures;

/// <summary>Direct access to test databases, bypassing the provider.</summary>
internal static class Db
{
    public static string ConnectionString(string path) => $"Data Source={path};Pooling=False";

    public static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(ConnectionString(path));
        connection.Open();
        return connection;
    }

    public static int Execute(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    public static object? Scalar(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public static long Count(string path, string sql) => Convert.ToInt64(Scalar(path, sql), System.Globalization.CultureInfo.InvariantCulture);

    public static List<string> Strings(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty);
        }

        return values;
    }

    /// <summary>The names of the user objects of a type (<c>table</c>, <c>index</c>, <c>view</c>, <c>trigger</c>), sorted.</summary>
    public static List<string> Objects(string path, string type) =>
        Strings(path, $"SELECT name FROM sqlite_schema WHERE type = '{type}' AND name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY name");
}
