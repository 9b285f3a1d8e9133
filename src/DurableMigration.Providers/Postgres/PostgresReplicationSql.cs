using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace DurableMigration.Providers.Postgres;

/// <summary>Quoting, name parsing, libpq connection strings and error translation for <see cref="PostgresReplication"/>.</summary>
internal static class PostgresReplicationSql
{
    /// <summary>Quotes a string literal for DDL, where PostgreSQL takes no parameters: <c>'</c> doubled (standard_conforming_strings is on since 9.1; <c>E''</c> is never used).</summary>
    public static string QuoteLiteral(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("An SQL literal must not contain NUL.", nameof(value));
        }

        return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    /// <summary>
    /// Splits a qualified name (<c>schema.table</c>) into its parts. Each part is either double-quoted (<c>"My ""odd"" name"</c>,
    /// taken exactly) or bare (taken exactly too: case is kept, not folded, because names come from the catalogs, not from SQL
    /// typed by a person). A name without a schema gets <c>public</c>.
    /// </summary>
    public static (string Schema, string Name) ParseQualifiedName(string qualified)
    {
        ArgumentNullException.ThrowIfNull(qualified);
        var parts = new List<string>(2);
        int i = 0;
        while (i <= qualified.Length)
        {
            if (i < qualified.Length && qualified[i] == '"')
            {
                var part = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= qualified.Length)
                    {
                        throw new ArgumentException($"Unterminated quoted identifier in '{qualified}'.", nameof(qualified));
                    }

                    if (qualified[i] == '"')
                    {
                        if (i + 1 < qualified.Length && qualified[i + 1] == '"')
                        {
                            part.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    part.Append(qualified[i++]);
                }

                parts.Add(part.ToString());
                if (i < qualified.Length && qualified[i] != '.')
                {
                    throw new ArgumentException($"Expected '.' after a quoted identifier in '{qualified}'.", nameof(qualified));
                }
            }
            else
            {
                int dot = qualified.IndexOf('.', i);
                int end = dot < 0 ? qualified.Length : dot;
                parts.Add(qualified[i..end]);
                i = end;
            }

            if (i >= qualified.Length)
            {
                break;
            }

            i++; // the dot
        }

        if (parts.Count is < 1 or > 2 || parts.Any(p => p.Length == 0))
        {
            throw new ArgumentException($"'{qualified}' is not a table or sequence name of the form schema.name.", nameof(qualified));
        }

        return parts.Count == 1 ? ("public", parts[0]) : (parts[0], parts[1]);
    }

    /// <summary>Returns <paramref name="qualified"/> as quoted SQL: <c>"schema"."name"</c>.</summary>
    public static string QuoteQualified(string qualified)
    {
        var (schema, name) = ParseQualifiedName(qualified);
        return PgSql.Quote(schema) + "." + PgSql.Quote(name);
    }

    /// <summary>
    /// Builds the libpq connection string (<c>key='value' ...</c>) with which the target's subscription reaches the source:
    /// host, port, database, user, password, sslmode and connect_timeout of <paramref name="source"/> (an Npgsql connection
    /// string). A secret: it is only ever sent to the target, inside <c>CREATE SUBSCRIPTION</c>.
    /// </summary>
    /// <remarks>No <c>application_name</c>: the subscription's walsender must report the subscription's name (its fallback), which the lag is looked up by.</remarks>
    public static string LibpqConnectionString(string source)
    {
        var builder = new NpgsqlConnectionStringBuilder(source);
        var pairs = new List<(string Key, string Value)>();
        if (!string.IsNullOrEmpty(builder.Host))
        {
            pairs.Add(("host", builder.Host));
        }

        pairs.Add(("port", builder.Port.ToString(CultureInfo.InvariantCulture)));
        if (!string.IsNullOrEmpty(builder.Database))
        {
            pairs.Add(("dbname", builder.Database));
        }

        if (!string.IsNullOrEmpty(builder.Username))
        {
            pairs.Add(("user", builder.Username));
        }

        if (!string.IsNullOrEmpty(builder.Password))
        {
            pairs.Add(("password", builder.Password));
        }

        pairs.Add(("sslmode", PgSql.LibpqSslMode(builder.SslMode)));
        if (builder.Timeout > 0)
        {
            pairs.Add(("connect_timeout", builder.Timeout.ToString(CultureInfo.InvariantCulture)));
        }

        return string.Join(' ', pairs.Select(p => p.Key + "=" + LibpqValue(p.Value)));
    }

    /// <summary>Quotes a libpq conninfo value: single quotes, with <c>\</c> and <c>'</c> escaped by a backslash.</summary>
    public static string LibpqValue(string value)
    {
        var quoted = new StringBuilder(value.Length + 2);
        quoted.Append('\'');
        foreach (char c in value)
        {
            if (c is '\\' or '\'')
            {
                quoted.Append('\\');
            }

            quoted.Append(c);
        }

        return quoted.Append('\'').ToString();
    }

    /// <summary>
    /// Returns <paramref name="connectionString"/> for a session that may write even when the database is read-only
    /// (<c>default_transaction_read_only</c> on, as the source is during cutover): <c>-c default_transaction_read_only=off</c>
    /// rides along in the startup packet, so it costs no round trip. Pooling is off: such a session must not be handed to anyone else.
    /// </summary>
    public static string ReadWriteSession(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
        };
        builder.Options = string.IsNullOrWhiteSpace(builder.Options)
            ? "-c default_transaction_read_only=off"
            : builder.Options + " -c default_transaction_read_only=off";
        return builder.ConnectionString;
    }

    /// <summary>Returns <paramref name="connectionString"/> for a session whose commits flush the WAL (<c>-c synchronous_commit=on</c> in the startup packet), whatever the server's or the database's default.</summary>
    public static string FlushingSession(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
        };
        builder.Options = string.IsNullOrWhiteSpace(builder.Options)
            ? "-c synchronous_commit=on"
            : builder.Options + " -c synchronous_commit=on";
        return builder.ConnectionString;
    }

    /// <summary>
    /// Returns <paramref name="connectionString"/> for the replication connection that creates the slot and holds its
    /// exported snapshot: the walsender keeps a transaction open for the snapshot, so a server, database or role setting of
    /// <c>idle_in_transaction_session_timeout</c> would end it (and the snapshot) during a long copy, and
    /// <c>statement_timeout</c> would cut the slot's creation, which waits for running transactions
    /// (<see cref="PostgresReplication.SlotCreationTimeout"/> bounds that instead). Both are off for this session (both exist
    /// in every supported version; an unknown setting in the startup packet would fail the connection).
    /// </summary>
    public static string SnapshotSession(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        const string Off = "-c idle_in_transaction_session_timeout=0 -c statement_timeout=0";
        builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? Off : builder.Options + " " + Off;
        return builder.ConnectionString;
    }

    /// <summary>Replaces every occurrence of <paramref name="secret"/> in <paramref name="text"/> (when non-empty) with <c>***</c>.</summary>
    public static string Redact(string text, string? secret) =>
        string.IsNullOrEmpty(secret) ? text : text.Replace(secret, "***", StringComparison.Ordinal);

    /// <summary>Tells whether <paramref name="exception"/> says a database does not exist (SQLSTATE 3D000).</summary>
    public static bool IsMissingDatabase(Exception exception) => exception is PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName };

    /// <summary>
    /// Translates a failure of <paramref name="operation"/> into a provider exception: permanent for what retrying cannot fix
    /// (privileges, configuration, missing objects, bad SQL), retriable for the rest (connections, locks, conflicts,
    /// shutdowns). The message keeps PostgreSQL's own text, never a connection string; the inner exception is kept only
    /// when <paramref name="keepInner"/> (it can carry the statement, which for <c>CREATE SUBSCRIPTION</c> holds a password).
    /// </summary>
    public static Exception Translate(Exception exception, string database, string operation, CancellationToken cancellationToken, string? secret = null, bool keepInner = true)
    {
        switch (exception)
        {
            case OperationCanceledException or DatabaseProviderException:
                return exception;
            case NpgsqlException when cancellationToken.IsCancellationRequested:
                return new OperationCanceledException(cancellationToken);
            case PostgresException postgres:
                return FromPostgres(postgres, database, operation, secret, keepInner);
            case NpgsqlException or SocketException or IOException or TimeoutException:
                // Npgsql's own messages name hosts at most; a password is redacted anyway.
                return new DatabaseProviderException(
                    database,
                    $"Database '{database}': {operation} failed: {OneLine(Redact(exception.Message, secret))}",
                    keepInner ? exception : null);
            default:
                return exception;
        }
    }

    private static DatabaseProviderException FromPostgres(PostgresException postgres, string database, string operation, string? secret, bool keepInner)
    {
        string detail = OneLine(Redact(postgres.MessageText, secret));
        string hint = postgres.Hint is { Length: > 0 } h ? " Hint: " + OneLine(Redact(h, secret)) : string.Empty;
        string message = $"Database '{database}': {operation} failed: {detail} (SQLSTATE {postgres.SqlState}).{hint}";
        var inner = keepInner ? postgres : null;
        return IsPermanent(postgres.SqlState)
            ? new PermanentDatabaseProviderException(database, message, inner)
            : new DatabaseProviderException(database, message, inner);
    }

    private static bool IsPermanent(string sqlState) => sqlState switch
    {
        PostgresErrorCodes.InsufficientPrivilege => true,
        PostgresErrorCodes.InvalidCatalogName => true,
        PostgresErrorCodes.ObjectNotInPrerequisiteState => true, // wal_level is not logical, ...
        PostgresErrorCodes.ConfigurationLimitExceeded => true,   // max_replication_slots, max_wal_senders
        PostgresErrorCodes.FeatureNotSupported => true,
        _ when sqlState.StartsWith("28", StringComparison.Ordinal) => true, // authentication
        _ when sqlState.StartsWith("42", StringComparison.Ordinal) => true, // syntax, missing objects, privileges
        _ => false,
    };

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
