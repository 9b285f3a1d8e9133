using System.Data;
using System.Globalization;
using Microsoft.Data.SqlClient;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableMigration.Providers.SqlServer;

/// <summary>Runs named statements on a SQL Server through Microsoft.Data.SqlClient: one pooled connection per statement, a command timeout, and retries of whitelisted transient errors with backoff.</summary>
/// <remarks>
/// Failures come out as <see cref="DatabaseProviderException"/> (retrying may help: network, timeout, throttling) or
/// <see cref="PermanentDatabaseProviderException"/> (login failed, database missing, permission denied, a bad statement),
/// naming the database and the statement, never the connection string. Values come back as <see cref="string"/>
/// (also for <see cref="Guid"/>, dates in ISO 8601 and binary as <c>0x</c> hex), <see cref="long"/>,
/// <see cref="decimal"/>, <see cref="double"/> or <see cref="bool"/>, as recordings hold them.
/// </remarks>
public sealed class SqlServerQueryRunner : ISqlServerQueryRunner
{
    private readonly string _connectionString;
    private readonly string? _password;
    private readonly SqlServerQueryRunnerOptions _options;
    private readonly ILogger _logger;

    /// <summary>Initializes a runner for one database.</summary>
    /// <param name="connectionString">A SqlClient connection string: a secret, never logged or shown.</param>
    /// <param name="database">The database's name in the wave, for messages and logs.</param>
    /// <param name="options">Timeout and retries; defaults when <c>null</c>.</param>
    /// <param name="logger">The log; none when <c>null</c>.</param>
    /// <exception cref="PermanentDatabaseProviderException">The connection string cannot be parsed.</exception>
    public SqlServerQueryRunner(string connectionString, string database, SqlServerQueryRunnerOptions? options = null, ILogger<SqlServerQueryRunner>? logger = null)
        : this(connectionString, database, options, (ILogger?)logger)
    {
    }

    private SqlServerQueryRunner(string connectionString, string database, SqlServerQueryRunnerOptions? options, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        SqlConnectionStringBuilder builder;
        try
        {
            builder = new SqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            // The parser's message may quote the string: not passed on.
            throw new PermanentDatabaseProviderException(database, $"Database '{database}': the SQL Server connection string cannot be parsed. Check its keywords and quoting.");
        }

        _connectionString = connectionString;
        _password = string.IsNullOrEmpty(builder.Password) ? null : builder.Password;
        DatabaseName = builder.InitialCatalog;
        Database = database;
        _options = options ?? new SqlServerQueryRunnerOptions();
        _logger = logger ?? NullLogger<SqlServerQueryRunner>.Instance;
    }

    /// <inheritdoc/>
    public string Database { get; }

    /// <summary>Creates a runner for the source of <paramref name="endpoints"/>, named after its database in the wave.</summary>
    /// <param name="endpoints">The migration's resolved connections.</param>
    /// <param name="options">Timeout and retries; defaults when <c>null</c>.</param>
    /// <param name="logger">The log; none when <c>null</c>.</param>
    /// <returns>The runner.</returns>
    public static SqlServerQueryRunner ForSource(MigrationEndpoints endpoints, SqlServerQueryRunnerOptions? options = null, ILogger<SqlServerQueryRunner>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return new SqlServerQueryRunner(endpoints.SourceConnection, endpoints.Database, options, logger);
    }

    /// <summary>Creates a runner for the target of <paramref name="endpoints"/>, named after its database in the wave.</summary>
    /// <param name="endpoints">The migration's resolved connections.</param>
    /// <param name="options">Timeout and retries; defaults when <c>null</c>.</param>
    /// <param name="logger">The log; none when <c>null</c>.</param>
    /// <returns>The runner.</returns>
    public static SqlServerQueryRunner ForTarget(MigrationEndpoints endpoints, SqlServerQueryRunnerOptions? options = null, ILogger<SqlServerQueryRunner>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return new SqlServerQueryRunner(endpoints.TargetConnection, endpoints.Database, options, logger);
    }

    /// <summary>Creates a runner on the same server and login that opens database <paramref name="initialCatalog"/> instead (<c>master</c> to drop a database or change its state from outside).</summary>
    /// <param name="initialCatalog">The database to open.</param>
    /// <returns>The runner, with the same options, log and wave database name.</returns>
    public SqlServerQueryRunner WithInitialCatalog(string initialCatalog)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(initialCatalog);
        var builder = new SqlConnectionStringBuilder(_connectionString) { InitialCatalog = initialCatalog };
        return new SqlServerQueryRunner(builder.ConnectionString, Database, _options, _logger);
    }

    /// <summary>Gets the database the connection opens (<c>Initial Catalog</c>); empty when the login's default database is used.</summary>
    public string DatabaseName { get; }

    /// <inheritdoc/>
    public Task<IReadOnlyList<SqlServerRow>> QueryAsync(SqlServerQuery query, IReadOnlyDictionary<string, object?>? parameters = null, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<SqlServerRow>>(query, parameters, ReadAsync, cancellationToken);

    /// <inheritdoc/>
    public Task<int> ExecuteAsync(SqlServerQuery query, IReadOnlyDictionary<string, object?>? parameters = null, CancellationToken cancellationToken = default) =>
        RunAsync(query, parameters, (command, token) => command.ExecuteNonQueryAsync(token), cancellationToken);

    /// <summary>Converts a value as SqlClient returns it into the kinds a <see cref="SqlServerRow"/> holds.</summary>
    internal static object? Normalize(object? value) => value switch
    {
        null or DBNull => null,
        string or long or decimal or double or bool => value,
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        float f => (double)f,
        Guid g => g.ToString("D", CultureInfo.InvariantCulture),
        DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        byte[] bytes => "0x" + Convert.ToHexString(bytes),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static async Task<IReadOnlyList<SqlServerRow>> ReadAsync(SqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<SqlServerRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var values = new KeyValuePair<string, object?>[reader.FieldCount];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = new(reader.GetName(i), Normalize(reader.GetValue(i)));
            }

            rows.Add(new SqlServerRow(values));
        }

        return rows;
    }

    private async Task<T> RunAsync<T>(SqlServerQuery query, IReadOnlyDictionary<string, object?>? parameters, Func<SqlCommand, CancellationToken, Task<T>> run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        bool opening = false;
        try
        {
            return await SqlServerRetry.RunAsync(
                async token =>
                {
                    await using var connection = new SqlConnection(_connectionString);
                    opening = true;
                    await connection.OpenAsync(token).ConfigureAwait(false);
                    opening = false;
                    await using var command = connection.CreateCommand();
                    command.CommandText = query.Text;
                    command.CommandType = CommandType.Text;
                    command.CommandTimeout = (int)Math.Ceiling(_options.CommandTimeout.TotalSeconds);
                    foreach ((string name, object? value) in parameters ?? new Dictionary<string, object?>())
                    {
                        command.Parameters.Add(Parameter(name, value));
                    }

                    return await run(command, token).ConfigureAwait(false);
                },
                ex => ex is SqlException sql ? SqlServerErrors.EffectiveNumber(sql.Number, opening) : null,
                _options,
                _logger,
                query.Name,
                Database,
                Task.Delay,
                cancellationToken).ConfigureAwait(false);
        }
        catch (SqlException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (SqlException ex)
        {
            throw SqlServerErrors.Translate(SqlServerErrors.EffectiveNumber(ex.Number, opening), ex.Message, Database, query.Name, _password);
        }
        catch (InvalidOperationException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // SqlClient reports pool exhaustion and connection-state problems this way; its messages carry no connection string.
            throw new DatabaseProviderException(Database, $"Database '{Database}': SQL Server statement {query.Name} failed: {SqlServerErrors.Describe(ex.Message, _password)}. The step is retryable.");
        }
    }

    private static SqlParameter Parameter(string name, object? value) => value switch
    {
        // Strings as nvarchar(max)-compatible Unicode, so sysname values and names outside the server's code page compare exactly.
        string s => new SqlParameter("@" + name, SqlDbType.NVarChar, Math.Max(s.Length, 1) <= 4000 ? 4000 : -1) { Value = s },
        null => new SqlParameter("@" + name, DBNull.Value),
        _ => new SqlParameter("@" + name, value),
    };
}
