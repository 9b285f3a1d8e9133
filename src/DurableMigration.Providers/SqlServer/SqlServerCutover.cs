using DurableMigration.Manifest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableMigration.Providers.SqlServer;

/// <summary>What <see cref="SqlServerCutover.CheckTargetSchemaAsync(ISqlServerQueryRunner, IReadOnlyList{string}, CancellationToken)"/> found in a target.</summary>
/// <param name="MissingTables">Source tables (<c>schema.table</c>) the target lacks: deploy the schema first.</param>
/// <param name="TablesWithRows">Source tables the target has and that already hold rows.</param>
public sealed record SqlServerTargetSchemaCheck(IReadOnlyList<string> MissingTables, IReadOnlyList<string> TablesWithRows)
{
    /// <summary>Gets a value indicating whether the target has every source table.</summary>
    public bool HasAllTables => MissingTables.Count == 0;

    /// <summary>Gets a value indicating whether every source table the target has is empty.</summary>
    public bool IsEmpty => TablesWithRows.Count == 0;
}

/// <summary>
/// The SQL Server statements around cutover and its compensations: make the source read-only and writable again, check
/// that an Azure SQL Database target has the schema deployed (every source table, empty), empty the tables a migration
/// copied into such a target, and drop a target database on a SQL Server VM.
/// </summary>
/// <remarks>Every method is idempotent. Identifiers are quoted as <c>QUOTENAME</c> does (<see cref="SqlServerIdentifier"/>); names also go in as parameters where T-SQL takes them.</remarks>
public sealed class SqlServerCutover
{
    private static readonly HashSet<string> SystemDatabases = new(StringComparer.OrdinalIgnoreCase) { "master", "model", "msdb", "tempdb", "distribution" };

    private readonly ILogger _logger;

    /// <summary>Initializes the statements.</summary>
    /// <param name="logger">The log; none when <c>null</c>.</param>
    public SqlServerCutover(ILogger<SqlServerCutover>? logger = null) => _logger = logger ?? NullLogger<SqlServerCutover>.Instance;

    /// <summary>Makes source database <paramref name="databaseName"/> read-only (<c>ALTER DATABASE ... SET READ_ONLY WITH ROLLBACK IMMEDIATE</c>): other sessions' open transactions are rolled back. Nothing happens when it already is read-only.</summary>
    /// <param name="source">Runs statements on the source server (connected to that database or to master).</param>
    /// <param name="databaseName">The database's name on the server.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>A task that completes when the database is read-only.</returns>
    public async Task MakeSourceReadOnlyAsync(ISqlServerQueryRunner source, string databaseName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        RequireUserDatabase(databaseName);
        await source.ExecuteAsync(SqlServerQueries.SourceReadOnly(databaseName), Database(databaseName), cancellationToken).ConfigureAwait(false);
        SqlServerLogs.MadeReadOnly(_logger, source.Database);
    }

    /// <summary>Makes source database <paramref name="databaseName"/> writable again (compensation of cutover). Nothing happens when it already is writable.</summary>
    /// <param name="source">Runs statements on the source server (connected to that database or to master).</param>
    /// <param name="databaseName">The database's name on the server.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>A task that completes when the database is writable.</returns>
    public async Task MakeSourceWritableAsync(ISqlServerQueryRunner source, string databaseName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        RequireUserDatabase(databaseName);
        await source.ExecuteAsync(SqlServerQueries.SourceWritable(databaseName), Database(databaseName), cancellationToken).ConfigureAwait(false);
        SqlServerLogs.MadeWritable(_logger, source.Database);
    }

    /// <summary>Checks that the target has every source table the filter moves and whether they are empty: for Azure SQL Database, where the Database Migration Service copies data only and the schema must be deployed first.</summary>
    /// <param name="source">Runs statements in the source database.</param>
    /// <param name="target">Runs statements in the target database.</param>
    /// <param name="tables">Which tables move; all when <c>null</c>.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>What is missing and what already holds rows.</returns>
    public async Task<SqlServerTargetSchemaCheck> CheckTargetSchemaAsync(ISqlServerQueryRunner source, ISqlServerQueryRunner target, TableFilter? tables = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var filter = SqlServerAssessment.Normalize(tables);
        var sourceTables = (await source.QueryAsync(SqlServerQueries.Tables, null, cancellationToken).ConfigureAwait(false))
            .Select(r => SqlServerIdentifier.DisplayName(r.GetString("schema_name") ?? "?", r.GetString("table_name") ?? "?"))
            .Where(t => SqlServerAssessment.Includes(filter, t))
            .ToList();
        return await CheckTargetSchemaAsync(target, sourceTables, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks that the target has each of <paramref name="sourceTables"/> and whether they are empty (from <c>sys.partitions</c>).</summary>
    /// <param name="target">Runs statements in the target database.</param>
    /// <param name="sourceTables">The tables that move, <c>schema.table</c> (<c>dbo</c> when the schema is left out).</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>What is missing and what already holds rows.</returns>
    public async Task<SqlServerTargetSchemaCheck> CheckTargetSchemaAsync(ISqlServerQueryRunner target, IReadOnlyList<string> sourceTables, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(sourceTables);
        var rows = await target.QueryAsync(SqlServerQueries.TargetTables, null, cancellationToken).ConfigureAwait(false);
        var present = rows.ToDictionary(
            r => SqlServerIdentifier.DisplayName(r.GetString("schema_name") ?? "?", r.GetString("table_name") ?? "?"),
            r => r.GetBoolean("has_rows"),
            StringComparer.OrdinalIgnoreCase);
        var wanted = sourceTables.Select(Qualify).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var check = new SqlServerTargetSchemaCheck(
            [.. wanted.Where(t => !present.ContainsKey(t)).Order(StringComparer.Ordinal)],
            [.. wanted.Where(t => present.TryGetValue(t, out bool hasRows) && hasRows).Order(StringComparer.Ordinal)]);
        SqlServerLogs.TargetChecked(_logger, target.Database, check.MissingTables.Count, check.TablesWithRows.Count);
        return check;
    }

    /// <summary>
    /// Compensation for an Azure SQL Database target: deletes every row of the tables the migration copied, in one
    /// transaction, and nothing else (the deployed schema stays). Their foreign keys are switched off for the delete and
    /// checked again after; a table outside the list still referencing one of them makes it fail and roll back.
    /// </summary>
    /// <param name="target">Runs statements in the target database.</param>
    /// <param name="copiedTables">The tables the migration copied, <c>schema.table</c>; nothing happens for an empty list.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>A task that completes when the tables are empty.</returns>
    public async Task EmptyCopiedTablesAsync(ISqlServerQueryRunner target, IReadOnlyList<string> copiedTables, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(copiedTables);
        var tables = copiedTables.Select(SqlServerIdentifier.SplitTableName).DistinctBy(t => SqlServerIdentifier.DisplayName(t.Schema, t.Table), StringComparer.OrdinalIgnoreCase).ToList();
        if (tables.Count == 0)
        {
            return;
        }

        await target.ExecuteAsync(SqlServerQueries.EmptyTables(tables), null, cancellationToken).ConfigureAwait(false);
        SqlServerLogs.TablesEmptied(_logger, target.Database, tables.Count);
    }

    /// <summary>Compensation for a SQL Server VM target: drops database <paramref name="databaseName"/> when it exists, ending its sessions first. Refuses system databases, and refuses to run from inside the database itself.</summary>
    /// <param name="targetServer">Runs statements on the target server, connected to master (or another database).</param>
    /// <param name="databaseName">The target database's name on the server.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>A task that completes when the database is gone.</returns>
    public async Task DropTargetDatabaseAsync(ISqlServerQueryRunner targetServer, string databaseName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targetServer);
        RequireUserDatabase(databaseName);
        await targetServer.ExecuteAsync(SqlServerQueries.DropDatabase(databaseName), Database(databaseName), cancellationToken).ConfigureAwait(false);
        SqlServerLogs.TargetDropped(_logger, targetServer.Database);
    }

    private static Dictionary<string, object?> Database(string name) => new() { ["database"] = name };

    private static void RequireUserDatabase(string databaseName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseName);
        if (SystemDatabases.Contains(databaseName))
        {
            throw new ArgumentException($"'{databaseName}' is a system database; the migration never changes or drops it.", nameof(databaseName));
        }

        // Quote refuses names SQL Server cannot hold.
        _ = SqlServerIdentifier.Quote(databaseName);
    }

    private static string Qualify(string name)
    {
        var (schema, table) = SqlServerIdentifier.SplitTableName(name);
        return SqlServerIdentifier.DisplayName(schema, table);
    }
}
