using System.Net.Sockets;
using Npgsql;

namespace DurableMigration.Providers.Postgres;

/// <summary>Turns Npgsql and server failures into provider exceptions: retriable or not, one line, without secrets.</summary>
internal static class PgErrors
{
    /// <summary>SQLSTATE 25006: a write in a read-only transaction.</summary>
    public const string ReadOnlyTransaction = "25006";

    /// <summary>SQLSTATE 3D000: the database does not exist.</summary>
    public const string InvalidCatalogName = "3D000";

    /// <summary>Translates <paramref name="exception"/>, raised while <paramref name="operation"/> ran, into what the caller should see.</summary>
    /// <returns>Provider exceptions and cancellations unchanged; Npgsql and socket failures wrapped, retriable unless retrying cannot help.</returns>
    public static Exception Translate(Exception exception, string database, string operation, CancellationToken cancellationToken, params string?[] secrets)
    {
        switch (exception)
        {
            case OperationCanceledException or DatabaseProviderException:
                return exception;
            case NpgsqlException when cancellationToken.IsCancellationRequested:
                return new OperationCanceledException(cancellationToken);
            case PostgresException postgres:
            {
                string detail = Describe(postgres, secrets);
                string message = $"Database '{database}': {operation} failed: {detail}";
                return IsTransient(postgres.SqlState)
                    ? new DatabaseProviderException(database, message)
                    : new PermanentDatabaseProviderException(database, message + Advice(postgres.SqlState));
            }

            case NpgsqlException or SocketException or TimeoutException or IOException:
                return new DatabaseProviderException(database, $"Database '{database}': {operation} failed: {Describe(exception, secrets)}. The step is retryable.");
            default:
                return exception;
        }
    }

    /// <summary>Describes <paramref name="exception"/> in one line with every secret removed: the server's message and SQLSTATE, or the connection failure.</summary>
    public static string Describe(Exception exception, params string?[] secrets)
    {
        string text = exception switch
        {
            PostgresException postgres => $"{postgres.MessageText} (SQLSTATE {postgres.SqlState})",
            NpgsqlException { InnerException: SocketException socket } => $"cannot reach the server ({socket.SocketErrorCode})",
            NpgsqlException { InnerException: TimeoutException } => "the connection timed out",
            _ => exception.Message,
        };
        return Redact(PgSql.OneLine(text), secrets);
    }

    /// <summary>Removes every secret (passwords) from <paramref name="text"/>.</summary>
    public static string Redact(string text, params string?[] secrets)
    {
        foreach (string? secret in secrets)
        {
            if (!string.IsNullOrEmpty(secret))
            {
                text = text.Replace(secret, "<secret>", StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>Tells whether the failure may pass: connection loss, resources, serialization, lock timeouts, shutdown.</summary>
    public static bool IsTransient(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal)
        || sqlState.StartsWith("53", StringComparison.Ordinal)
        || sqlState.StartsWith("57P", StringComparison.Ordinal)
        || sqlState is "40001" or "40P01" or "55P03" or "55006" or "57014";

    private static string Advice(string sqlState) => sqlState switch
    {
        InvalidCatalogName => " Check the database name in the connection.",
        "28P01" or "28000" => " Check the user and password of the connection.",
        "42501" => " Grant the connection's user the privilege named, or use a user that has it.",
        _ => string.Empty,
    };
}
