using Npgsql;

namespace DurableMigration.Providers.Postgres;

/// <summary>Small SQL helpers: identifier quoting and one-shot commands. Values always travel as parameters.</summary>
internal static class PgSql
{
    /// <summary>Quotes an identifier: always <c>"name"</c>, embedded double quotes doubled, so case and any character survive.</summary>
    public static string Quote(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        if (identifier.Length == 0 || identifier.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("An SQL identifier must be non-empty and must not contain NUL.", nameof(identifier));
        }

        return "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>libpq's <c>sslmode</c> word for an Npgsql <see cref="SslMode"/>.</summary>
    public static string LibpqSslMode(SslMode mode) => mode switch
    {
        SslMode.Disable => "disable",
        SslMode.Allow => "allow",
        SslMode.Require => "require",
        SslMode.VerifyCA => "verify-ca",
        SslMode.VerifyFull => "verify-full",
        _ => "prefer",
    };

    /// <summary>Quotes a schema-qualified name.</summary>
    public static string Quote(string schema, string name) => Quote(schema) + "." + Quote(name);

    /// <summary>An exact <c>pg_dump</c> table pattern: each part in double quotes, so case, dots and pattern characters are literal.</summary>
    public static string DumpPattern(string schema, string name) => Quote(schema) + "." + Quote(name);

    /// <summary>Runs a statement without parameters.</summary>
    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a query returning one value.</summary>
    public static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        object? value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>Runs a query and maps every row.</summary>
    public static async Task<List<T>> QueryAsync<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    /// <summary>Returns <paramref name="text"/> on one line.</summary>
    public static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, (string Name, object? Value)[] parameters)
    {
#pragma warning disable CA2100 // SQL text is built from quoted identifiers and constants only; values are parameters.
        var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}
