using System.Globalization;
using Npgsql;

namespace DurableMigration.Providers.Postgres;

/// <summary>One side of a migration: an Npgsql connection string (a secret) and what may be shown of it.</summary>
/// <remarks>
/// Every connection is opened without pooling (a dropped database or a terminated backend must not leave broken
/// connections in a pool), with the provider's application name and lock timeout. Messages show the role and the
/// database name only, never host, user or password.
/// </remarks>
internal sealed class PgEndpoint
{
    /// <summary>The application name of every session the provider opens.</summary>
    public const string ApplicationName = "dmig";

    private readonly NpgsqlConnectionStringBuilder _builder;
    private readonly TimeSpan _lockTimeout;

    private PgEndpoint(string role, NpgsqlConnectionStringBuilder builder, TimeSpan lockTimeout)
    {
        Role = role;
        _builder = builder;
        _lockTimeout = lockTimeout;
        DatabaseName = builder.Database is { Length: > 0 } name ? name : builder.Username ?? Environment.UserName;
    }

    /// <summary>Gets <c>source</c> or <c>target</c>.</summary>
    public string Role { get; }

    /// <summary>Gets the database's name on its server.</summary>
    public string DatabaseName { get; }

    /// <summary>Gets the password, for redaction only.</summary>
    public string? Password => _builder.Password;

    /// <summary>Gets the host, port and database (no credentials), to tell whether two endpoints are the same database.</summary>
    public string Identity => string.Create(CultureInfo.InvariantCulture, $"{_builder.Host?.ToUpperInvariant()}:{_builder.Port}/{DatabaseName}");

    /// <summary>Parses <paramref name="connectionString"/>, or fails non-retriably without repeating it.</summary>
    public static PgEndpoint Parse(string database, string role, string connectionString, TimeSpan lockTimeout)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString)
            {
                Pooling = false,
                ApplicationName = ApplicationName,
            };
            return new PgEndpoint(role, builder, lockTimeout);
        }
        catch (ArgumentException)
        {
            throw new PermanentDatabaseProviderException(database, $"Database '{database}': the {role} connection is not a valid Npgsql connection string (Host=...;Database=...;Username=...); correct it in the manifest or the secret it names.");
        }
    }

    /// <summary>Opens a connection to this database.</summary>
    public Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => OpenAsync(DatabaseName, cancellationToken);

    /// <summary>Opens a connection to the server's maintenance database <c>postgres</c>, else <c>template1</c> (to create, inspect or drop this database).</summary>
    public async Task<NpgsqlConnection> OpenAdminAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await OpenAsync("postgres", cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is PgErrors.InvalidCatalogName or "42501")
        {
            return await OpenAsync("template1", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Opens a connection to <paramref name="database"/> on this endpoint's server.</summary>
    public async Task<NpgsqlConnection> OpenAsync(string database, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(_builder.ConnectionString) { Database = database };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            string timeout = ((long)_lockTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
            // A source made read-only (default_transaction_read_only on the database) must not make this tool's own sessions read-only.
            await PgSql.ExecuteAsync(connection, $"SET lock_timeout = {timeout}; SET default_transaction_read_only = off", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The libpq environment for <c>pg_dump</c>/<c>pg_restore</c>: connection details never go on a command line, where other users can read them.</summary>
    public Dictionary<string, string> ToolEnvironment(string? database = null)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PGDATABASE"] = database ?? DatabaseName,
            ["PGAPPNAME"] = ApplicationName,
        };
        Add(environment, "PGHOST", _builder.Host);
        Add(environment, "PGPORT", _builder.Port.ToString(CultureInfo.InvariantCulture));
        Add(environment, "PGUSER", _builder.Username);
        Add(environment, "PGPASSWORD", _builder.Password);
        Add(environment, "PGPASSFILE", _builder.Passfile);
        Add(environment, "PGSSLROOTCERT", _builder.RootCertificate);
        Add(environment, "PGSSLCERT", _builder.SslCertificate);
        Add(environment, "PGSSLKEY", _builder.SslKey);
        Add(environment, "PGCONNECT_TIMEOUT", _builder.Timeout.ToString(CultureInfo.InvariantCulture));
        Add(environment, "PGSSLMODE", PgSql.LibpqSslMode(_builder.SslMode));
        return environment;
    }

    private static void Add(Dictionary<string, string> environment, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            environment[name] = value;
        }
    }
}
