namespace DurableMigration.Providers.Postgres;

public sealed partial class PostgresDatabaseProvider
{
    private const string OtherClientSessionsSql = """
        SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
        """;

    /// <inheritdoc/>
    /// <remarks>
    /// <c>ALTER DATABASE ... SET default_transaction_read_only = on</c>, then terminates the database's other client
    /// sessions (<c>pg_terminate_backend</c>; not WAL senders, through which online mode replicates), so every session
    /// from now on starts read-only and a write fails with SQLSTATE 25006 (<c>cannot execute ... in a read-only
    /// transaction</c>). Limit: a session may turn it off for itself (<c>SET default_transaction_read_only = off</c> or
    /// <c>BEGIN READ WRITE</c>); superusers too. It stops applications, not a deliberate writer. Needs the database's
    /// owner or a superuser (terminating others' sessions: <c>pg_signal_backend</c> or superuser). Idempotent.
    /// </remarks>
    public async Task MakeSourceReadOnlyAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var source = Source(endpoints);
        try
        {
            await using var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            await PgMarker.ExecuteFormattedAsync(connection, "SELECT format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database())", cancellationToken).ConfigureAwait(false);
            int ended = await PgSql.ScalarAsync<int>(connection, OtherClientSessionsSql, cancellationToken).ConfigureAwait(false);
            PgLogs.MadeReadOnly(_logger, endpoints.Database, ended);
        }
        catch (Exception ex) when (ex is not DatabaseProviderException and not OperationCanceledException)
        {
            throw PgErrors.Translate(ex, endpoints.Database, "making the source read-only", cancellationToken, source.Password);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <c>ALTER DATABASE ... RESET default_transaction_read_only</c>, then terminates the database's other client
    /// sessions: they started while it was read-only and would stay read-only until they reconnect. This is safe for
    /// them as for their data: a read-only session has written nothing; connection pools reconnect. Idempotent.
    /// </remarks>
    public async Task MakeSourceWritableAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var source = Source(endpoints);
        try
        {
            await using var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            bool readOnly = await PgSql.ScalarAsync<bool>(connection, "SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.setrole = 0 AND 'default_transaction_read_only=on' = ANY(s.setconfig))", cancellationToken).ConfigureAwait(false);
            await PgMarker.ExecuteFormattedAsync(connection, "SELECT format('ALTER DATABASE %I RESET default_transaction_read_only', current_database())", cancellationToken).ConfigureAwait(false);
            int ended = readOnly ? await PgSql.ScalarAsync<int>(connection, OtherClientSessionsSql, cancellationToken).ConfigureAwait(false) : 0;
            PgLogs.MadeWritable(_logger, endpoints.Database, ended);
        }
        catch (Exception ex) when (ex is not DatabaseProviderException and not OperationCanceledException)
        {
            throw PgErrors.Translate(ex, endpoints.Database, "making the source writable", cancellationToken, source.Password);
        }
    }
}
