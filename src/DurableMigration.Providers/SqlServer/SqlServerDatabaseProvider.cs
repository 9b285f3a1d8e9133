using DurableMigration.Manifest;
using DurableMigration.Providers.Dms;
using Microsoft.Data.SqlClient;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableMigration.Providers.SqlServer;

/// <summary>Moves SQL Server databases to Azure SQL Database, Managed Instance or SQL Server on an Azure VM: the Database Migration Service moves the data, the provider checks SQL Server itself.</summary>
/// <remarks>
/// <para>
/// Two halves. The SQL side (<see cref="SqlServerAssessment"/>, <see cref="SqlServerValidation"/>, <see cref="SqlServerCutover"/>) runs
/// catalog queries and statements over SqlClient on the source and target connections (SqlClient connection strings: secrets). The Azure
/// side (<see cref="DatabaseMigrationRunner"/>) drives one <c>databaseMigrations</c> resource per database through Resource Manager; where
/// it goes comes from the manifest's <c>target.azure</c> (<see cref="MigrationEndpoints.Azure"/>). The service reaches the source with the
/// login of the source connection string, and an Azure SQL Database target with the login of the target connection string.
/// </para>
/// <para>
/// Steps. Assessment: the catalog rules for the target kind, plus the migration service's integration runtime and, for Azure SQL Database,
/// the deployed target schema. Schema: Azure SQL Database gets data only, so the schema must have been deployed (a DACPAC, say) and the
/// tables must be empty; a managed instance or VM restores the schema with the data. Copy: offline migration to its end; online: until the
/// full backup is restored and log backups are applied. Cutover: the source is set <c>READ_ONLY</c>, then the final sync. Final sync:
/// online, the service's cutover once no log backup is pending, then the comparison below; offline, every moving table is compared (row counts and checksums, whatever
/// <c>validation</c> says), and on Azure SQL Database the tables that changed during the copy are emptied and copied again while the source
/// is read-only, so no write acknowledged before the cutover is lost. On a managed instance or VM, a restore (offline, or online cut over) that lacks writes
/// (made after the last backup) fails the sync with the tables named, instead of losing them.
/// </para>
/// <para>
/// Compensation (<see cref="DropTargetAsync"/>) touches only what a migration of this source created: it cancels the migration, deletes a
/// managed instance database its restore created, empties the copied tables of an Azure SQL Database (the deployed schema stays), or drops
/// a VM's restored database. A target without such a migration is left alone. The provider does not record a target's changes after
/// cutover, so a rollback of a finished wave treats the target as changed and refuses unless told (see <c>docs/sqlserver.md</c>).
/// </para>
/// </remarks>
public sealed class SqlServerDatabaseProvider : IDatabaseProvider
{
    /// <summary>The engine name this provider serves.</summary>
    public const string EngineName = "sqlserver";

    private readonly DatabaseMigrationServiceClient _client;
    private readonly DatabaseMigrationRunner _runner;
    private readonly SqlServerProviderOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly SqlServerAssessment _assessment;
    private readonly SqlServerValidation _validation;
    private readonly SqlServerCutover _cutover;

    /// <summary>Initializes the provider.</summary>
    /// <param name="client">The Resource Manager client for the Database Migration Service (<c>DefaultAzureCredential</c> in production).</param>
    /// <param name="runner">Runs one database's migration on <paramref name="client"/>.</param>
    /// <param name="options">Limits, timeouts and how SQL Server is reached; defaults when <c>null</c>.</param>
    /// <param name="loggers">Where the provider and its parts log; none when <c>null</c>.</param>
    public SqlServerDatabaseProvider(DatabaseMigrationServiceClient client, DatabaseMigrationRunner runner, SqlServerProviderOptions? options = null, ILoggerFactory? loggers = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _runner = runner ?? throw new ArgumentNullException(nameof(runner));
        _options = options ?? new SqlServerProviderOptions();
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _logger = _loggers.CreateLogger<SqlServerDatabaseProvider>();
        _assessment = new SqlServerAssessment(_options.Assessment, _loggers.CreateLogger<SqlServerAssessment>());
        _validation = new SqlServerValidation(_options.Validation, _loggers.CreateLogger<SqlServerValidation>());
        _cutover = new SqlServerCutover(_loggers.CreateLogger<SqlServerCutover>());
    }

    /// <inheritdoc/>
    public string Engine => EngineName;

    /// <inheritdoc/>
    /// <remarks>Online migrations need a managed instance or VM target; the manifest reader refuses online Azure SQL Database targets.</remarks>
    public bool SupportsOnline => true;

    /// <inheritdoc/>
    public bool SupportsChangeSync => true;

    /// <inheritdoc/>
    public async Task<AssessmentReport> AssessAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
    {
        var migration = Describe(endpoints);
        var report = await _assessment.AssessAsync(Source(endpoints), migration.Target.Kind, endpoints.Tables, cancellationToken).ConfigureAwait(false);
        var findings = new List<AssessmentFinding>(report.Findings);
        await AssessServiceAsync(migration, findings, cancellationToken).ConfigureAwait(false);
        if (migration.Target.Kind == DatabaseMigrationTargetKind.SqlDb)
        {
            await AssessTargetSchemaAsync(endpoints, migration, findings, cancellationToken).ConfigureAwait(false);
        }

        return report with { Findings = findings };
    }

    /// <inheritdoc/>
    public async Task<SchemaCopyResult> CopySchemaAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
    {
        var migration = Describe(endpoints);
        if (migration.Target.Kind != DatabaseMigrationTargetKind.SqlDb)
        {
            // A restore brings the schema with the data.
            SqlServerProviderLogs.SchemaWithBackup(_logger, endpoints.Database);
            return new SchemaCopyResult(0, 0, 0, 0);
        }

        var moving = await MovingTablesAsync(endpoints, cancellationToken).ConfigureAwait(false);
        var check = await _cutover.CheckTargetSchemaAsync(Target(endpoints), [.. moving.Select(t => t.Name)], cancellationToken).ConfigureAwait(false);
        if (!check.HasAllTables)
        {
            throw new PermanentDatabaseProviderException(endpoints.Database, $"{MissingSchema(migration, check)}, then retry.");
        }

        if (!check.IsEmpty)
        {
            if (!await IsOursAsync(migration, cancellationToken).ConfigureAwait(false))
            {
                throw new PermanentDatabaseProviderException(endpoints.Database, $"{ForeignRows(migration, check)}, then retry.");
            }

            // An earlier attempt of this migration copied them: start from empty tables again.
            await _cutover.EmptyCopiedTablesAsync(Target(endpoints), check.TablesWithRows, cancellationToken).ConfigureAwait(false);
            SqlServerProviderLogs.EmptiedPartialCopy(_logger, endpoints.Database, check.TablesWithRows.Count);
        }

        return new SchemaCopyResult(moving.Count, 0, 0, 0);
    }

    /// <inheritdoc/>
    public async Task<DataCopyResult> CopyDataAsync(MigrationEndpoints endpoints, IProgress<CopyProgress> progress, CancellationToken cancellationToken = default)
    {
        var plan = await PlanAsync(endpoints, online: false, cancellationToken).ConfigureAwait(false);
        return await _runner.CopyAsync(plan, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<DataCopyResult> StartReplicationAsync(MigrationEndpoints endpoints, IProgress<CopyProgress> progress, CancellationToken cancellationToken = default)
    {
        var plan = await PlanAsync(endpoints, online: true, cancellationToken).ConfigureAwait(false);
        return await _runner.StartOnlineAsync(plan, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task<ReplicationStatus> GetReplicationStatusAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        _runner.GetReplicationStatusAsync(Describe(endpoints, online: true), cancellationToken);

    /// <inheritdoc/>
    public Task MakeSourceReadOnlyAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
    {
        var migration = Describe(endpoints);
        return _cutover.MakeSourceReadOnlyAsync(SourceServer(endpoints), migration.Request.SourceDatabaseName, cancellationToken);
    }

    /// <inheritdoc/>
    public Task MakeSourceWritableAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
    {
        var migration = Describe(endpoints);
        return _cutover.MakeSourceWritableAsync(SourceServer(endpoints), migration.Request.SourceDatabaseName, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>The orchestration calls it with the source read-only: every result is <see cref="ChangeSyncResult.Final"/>.</remarks>
    public async Task<ChangeSyncResult> SyncChangesAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ChangeSyncResult? cutover = null;
        if (endpoints.Mode == MigrationMode.Online)
        {
            // The service cuts over once no log backup is pending; writes after the last log backup it restored are not in the
            // target then, so the comparison below runs for online migrations too.
            cutover = await _runner.CutoverAsync(Describe(endpoints, online: true), cancellationToken).ConfigureAwait(false);
        }

        long started = _options.TimeProvider.GetTimestamp();
        var migration = Describe(endpoints);
        var comparison = await _validation.ValidateAsync(Source(endpoints), Target(endpoints), new ValidationOptions(true, true), endpoints.Tables, cancellationToken).ConfigureAwait(false);
        if (comparison.MissingInTarget.Count > 0)
        {
            throw new PermanentDatabaseProviderException(
                endpoints.Database,
                $"The target lacks {comparison.MissingInTarget.Count} object(s) of the source ({Shorten(comparison.MissingInTarget)}): the copy is incomplete. Roll back, or deploy them and retry.");
        }

        var changed = comparison.Tables.Where(t => !t.Matches).ToList();
        if (changed.Count == 0)
        {
            return cutover is null ? Synced(0, 0, [], started) : cutover with { Elapsed = cutover.Elapsed + _options.TimeProvider.GetElapsedTime(started) };
        }

        if (migration.Target.Kind != DatabaseMigrationTargetKind.SqlDb)
        {
            string fix = cutover is null
                ? "Take a log backup of the read-only source, name it as backup.lastBackupName (or use mode: online), and retry."
                : "The cutover happened before a log backup taken after the source became read-only was restored. Roll back (consumers still use the source, which holds every write), take that log backup before cutting over, and migrate again.";
            throw new PermanentDatabaseProviderException(
                endpoints.Database,
                $"{changed.Count} table(s) of the source changed after the last backup the restore applied ({Shorten(changed.Select(t => t.Described).ToList())}): the target lacks those writes. {fix}");
        }

        // The source is read-only: copy the tables that changed during the copy again, as a fresh migration of those tables only.
        var names = changed.Select(t => t.Table).ToList();
        SqlServerProviderLogs.RecopyingChangedTables(_logger, endpoints.Database, names.Count);
        await _cutover.EmptyCopiedTablesAsync(Target(endpoints), names, cancellationToken).ConfigureAwait(false);
        await _client.DeleteAsync(migration.Target, force: true, cancellationToken).ConfigureAwait(false);
        var plan = migration with
        {
            TargetDatabaseExisted = true,
            Request = Request(endpoints, migration.Target.Kind, online: false, [.. names.Select(QuotedTableName)]),
        };
        var copied = await _runner.CopyAsync(plan, null, cancellationToken).ConfigureAwait(false);
        var tables = changed.Select(t => new TableSyncResult(t.Table, Math.Max(t.SourceRows, t.TargetRows), Whole: true)).ToList();
        return Synced(tables.Sum(t => t.ChangedRows), copied.Rows, tables, started);
    }

    /// <inheritdoc/>
    public Task<ValidationReport> ValidateAsync(MigrationEndpoints endpoints, ValidationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return _validation.ValidateAsync(Source(endpoints), Target(endpoints), options, endpoints.Tables, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task DropTargetAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (string.IsNullOrEmpty(endpoints.TargetConnection) && endpoints.Azure is null)
        {
            return;
        }

        var migration = Describe(endpoints, online: endpoints.Mode == MigrationMode.Online);
        var existing = await _client.GetIfExistsAsync(migration.Target, expandDetails: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (existing is null || !DatabaseMigrationRunner.SameSource(existing, migration.Request))
        {
            SqlServerProviderLogs.NothingToRemove(_logger, endpoints.Database, migration.Target.TargetDatabaseName);
            return;
        }

        bool? existed = migration.Target.Kind switch
        {
            DatabaseMigrationTargetKind.SqlMi => await ExistedBeforeAsync(migration.Target, existing, cancellationToken).ConfigureAwait(false),
            DatabaseMigrationTargetKind.SqlDb => true,
            _ => null,
        };
        var compensation = await _runner.CancelAndRemoveAsync(migration with { TargetDatabaseExisted = existed }, cancellationToken).ConfigureAwait(false);
        SqlServerProviderLogs.Removed(_logger, endpoints.Database, compensation.Summary);
        switch (migration.Target.Kind)
        {
            case DatabaseMigrationTargetKind.SqlDb:
                var moving = await MovingTablesAsync(endpoints, cancellationToken).ConfigureAwait(false);
                await _cutover.EmptyCopiedTablesAsync(Target(endpoints), [.. moving.Select(t => t.Name)], cancellationToken).ConfigureAwait(false);
                break;
            case DatabaseMigrationTargetKind.SqlVm:
                await _cutover.DropTargetDatabaseAsync(TargetServer(endpoints), migration.Target.TargetDatabaseName, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private static string Shorten(IReadOnlyList<string> names) =>
        names.Count <= 5 ? string.Join(", ", names) : $"{string.Join(", ", names.Take(5))} and {names.Count - 5} more";

    private static string MissingSchema(DatabaseMigrationPlan migration, SqlServerTargetSchemaCheck check) =>
        $"The target database {migration.Target.TargetDatabaseName} lacks {check.MissingTables.Count} table(s) the migration copies ({Shorten(check.MissingTables)}): the Database Migration Service copies data only into Azure SQL Database. Deploy the schema first (a DACPAC, say)";

    private static string ForeignRows(DatabaseMigrationPlan migration, SqlServerTargetSchemaCheck check) =>
        $"{check.TablesWithRows.Count} table(s) of the target database {migration.Target.TargetDatabaseName} already hold rows ({Shorten(check.TablesWithRows)}) that no migration of this source wrote: the migration would mix them with the source's. Empty them or choose another target";

    private static string QuotedTableName(string displayName)
    {
        var (schema, table) = SqlServerIdentifier.SplitTableName(displayName);
        return SqlServerIdentifier.Quote(schema, table);
    }

    private static SqlConnectionInformation ConnectionInformation(SqlConnectionStringBuilder connection) => new()
    {
        DataSource = connection.DataSource,
        Authentication = connection.IntegratedSecurity ? "WindowsAuthentication" : "SqlAuthentication",
        UserName = string.IsNullOrEmpty(connection.UserID) ? null : connection.UserID,
        Password = string.IsNullOrEmpty(connection.Password) ? null : connection.Password,
        EncryptConnection = connection.Encrypt != SqlConnectionEncryptOption.Optional,
        TrustServerCertificate = connection.TrustServerCertificate,
    };

    private ChangeSyncResult Synced(long changedRows, long rowsWritten, IReadOnlyList<TableSyncResult> tables, long started) =>
        new(changedRows, rowsWritten, 0, tables, _options.TimeProvider.GetElapsedTime(started), Final: true, FullCopy: false);

    /// <summary>A managed instance database existed before the migration unless it was created after the migration started (its restore made it).</summary>
    private async Task<bool> ExistedBeforeAsync(DatabaseMigrationTarget target, DatabaseMigrationStatus migration, CancellationToken cancellationToken)
    {
        var database = await _client.GetTargetDatabaseAsync(target, cancellationToken).ConfigureAwait(false);
        return database is not null && !(database.CreationDate is { } created && migration.StartedOn is { } started && created >= started.AddMinutes(-1));
    }

    private async Task<bool> IsOursAsync(DatabaseMigrationPlan migration, CancellationToken cancellationToken)
    {
        var existing = await _client.GetIfExistsAsync(migration.Target, expandDetails: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        return existing is not null && DatabaseMigrationRunner.SameSource(existing, migration.Request);
    }

    private async Task AssessServiceAsync(DatabaseMigrationPlan migration, List<AssessmentFinding> findings, CancellationToken cancellationToken)
    {
        string service = migration.Request.MigrationServiceId;
        string name = service[(service.LastIndexOf('/') + 1)..];
        try
        {
            var status = await _client.GetMigrationServiceAsync(service, cancellationToken).ConfigureAwait(false);
            if (!status.IsIntegrationRuntimeOnline)
            {
                findings.Add(new AssessmentFinding(
                    SqlServerProviderRules.IntegrationRuntime,
                    FindingSeverity.Blocking,
                    $"The integration runtime of migration service {name} is {status.IntegrationRuntimeState ?? "not registered"}: the service can reach no source. Start the self-hosted integration runtime registered with {name} (and check it can reach the source), then assess again.",
                    name));
            }
        }
        catch (ArmRequestException e)
        {
            findings.Add(new AssessmentFinding(
                SqlServerProviderRules.IntegrationRuntime,
                FindingSeverity.Blocking,
                e.Status == 404
                    ? $"Migration service {name} does not exist (or this identity cannot see it): create it, or correct target.azure.migrationService."
                    : $"Resource Manager refused to read migration service {name} ({e.Status}{(e.ErrorCode is null ? string.Empty : " " + e.ErrorCode)}): {e.ServiceMessage ?? e.Message}. Check the identity's role on the service.",
                name));
        }
    }

    private async Task AssessTargetSchemaAsync(MigrationEndpoints endpoints, DatabaseMigrationPlan migration, List<AssessmentFinding> findings, CancellationToken cancellationToken)
    {
        var moving = await MovingTablesAsync(endpoints, cancellationToken).ConfigureAwait(false);
        SqlServerTargetSchemaCheck check;
        try
        {
            check = await _cutover.CheckTargetSchemaAsync(Target(endpoints), [.. moving.Select(t => t.Name)], cancellationToken).ConfigureAwait(false);
        }
        catch (DatabaseProviderException e)
        {
            findings.Add(new AssessmentFinding(SqlServerProviderRules.TargetSchema, FindingSeverity.Blocking, $"The target database {migration.Target.TargetDatabaseName} cannot be read: {e.Message}", migration.Target.TargetDatabaseName));
            return;
        }

        if (!check.HasAllTables)
        {
            findings.Add(new AssessmentFinding(SqlServerProviderRules.TargetSchema, FindingSeverity.Blocking, MissingSchema(migration, check) + ".", migration.Target.TargetDatabaseName));
        }

        if (!check.IsEmpty && !await IsOursAsync(migration, cancellationToken).ConfigureAwait(false))
        {
            findings.Add(new AssessmentFinding(SqlServerProviderRules.TargetNotEmpty, FindingSeverity.Blocking, ForeignRows(migration, check) + ".", migration.Target.TargetDatabaseName));
        }
    }

    /// <summary>The tables that move (the manifest's filter over the source's tables), with their row counts.</summary>
    private async Task<List<(string Name, long Rows)>> MovingTablesAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken)
    {
        var filter = SqlServerAssessment.Normalize(endpoints.Tables);
        var rows = await Source(endpoints).QueryAsync(SqlServerQueries.Tables, null, cancellationToken).ConfigureAwait(false);
        return
        [
            .. rows
                .Select(r => (Name: SqlServerIdentifier.DisplayName(r.GetString("schema_name") ?? "?", r.GetString("table_name") ?? "?"), Rows: r.GetInt64("row_count")))
                .Where(t => SqlServerAssessment.Includes(filter, t.Name)),
        ];
    }

    private async Task<DatabaseMigrationPlan> PlanAsync(MigrationEndpoints endpoints, bool online, CancellationToken cancellationToken)
    {
        var moving = await MovingTablesAsync(endpoints, cancellationToken).ConfigureAwait(false);
        var plan = Describe(endpoints, online);
        if (plan.Target.Kind == DatabaseMigrationTargetKind.SqlDb)
        {
            plan = plan with { Request = Request(endpoints, plan.Target.Kind, online, [.. moving.Select(t => QuotedTableName(t.Name))]) };
        }

        plan = plan with { ExpectedRows = moving.Sum(t => t.Rows) };
        return await _runner.PrepareAsync(plan, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The migration of <paramref name="endpoints"/> without reading anything: target, request (all tables), mode.</summary>
    private DatabaseMigrationPlan Describe(MigrationEndpoints endpoints, bool? online = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var azure = endpoints.Azure ?? throw new PermanentDatabaseProviderException(
            endpoints.Database, $"Database '{endpoints.Database}' has no target.azure: the sqlserver provider moves data through Azure Database Migration Service and needs the target resource and migration service.");
        var kind = azure.Kind switch
        {
            AzureTargetKind.SqlDb => DatabaseMigrationTargetKind.SqlDb,
            AzureTargetKind.SqlMi => DatabaseMigrationTargetKind.SqlMi,
            _ => DatabaseMigrationTargetKind.SqlVm,
        };
        string targetDatabase = azure.Database
            ?? (TargetBuilder(endpoints) is { InitialCatalog.Length: > 0 } target ? target.InitialCatalog : endpoints.Database);
        var migrationTarget = new DatabaseMigrationTarget(kind, azure.SubscriptionId, azure.ResourceGroup, azure.TargetName, targetDatabase);
        bool isOnline = online ?? endpoints.Mode == MigrationMode.Online;
        return new DatabaseMigrationPlan(endpoints.Database, migrationTarget, Request(endpoints, kind, isOnline, []));
    }

    private DatabaseMigrationRequest Request(MigrationEndpoints endpoints, DatabaseMigrationTargetKind kind, bool online, IReadOnlyList<string> tables)
    {
        var azure = endpoints.Azure!;
        var source = Builder(endpoints.SourceConnection, endpoints.Database, "source");
        if (string.IsNullOrEmpty(source.InitialCatalog))
        {
            throw new PermanentDatabaseProviderException(endpoints.Database, $"The source connection of '{endpoints.Database}' names no database: add Initial Catalog (Database=...) to it.");
        }

        var backup = azure.Backup;
        return new DatabaseMigrationRequest
        {
            MigrationServiceId = azure.MigrationService,
            SourceSqlConnection = ConnectionInformation(source),
            SourceDatabaseName = source.InitialCatalog,
            TargetSqlConnection = kind == DatabaseMigrationTargetKind.SqlDb ? ConnectionInformation(Builder(endpoints.TargetConnection, endpoints.Database, "target")) : null,
            TableList = tables,
            Offline = !online,
            LastBackupName = online ? null : backup?.LastBackupName,
            BackupConfiguration = backup is null
                ? null
                : new DatabaseMigrationBackupConfiguration
                {
                    BlobStorageAccountResourceId = backup.StorageAccount,
                    BlobContainerName = backup.Container,
                    BlobAccountKey = endpoints.BackupAccountKey,
                },
        };
    }

    private static SqlConnectionStringBuilder? TargetBuilder(MigrationEndpoints endpoints)
    {
        try
        {
            return string.IsNullOrEmpty(endpoints.TargetConnection) ? null : new SqlConnectionStringBuilder(endpoints.TargetConnection);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static SqlConnectionStringBuilder Builder(string connection, string database, string side)
    {
        try
        {
            return new SqlConnectionStringBuilder(connection);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            // The message of SqlClient's parser may quote the string: never pass it on.
            throw new PermanentDatabaseProviderException(database, $"The {side} connection of '{database}' is not a SQL Server connection string (Server=...;Database=...;User ID=...;Password=...).");
        }
    }

    private ISqlServerQueryRunner Source(MigrationEndpoints endpoints) => Connect(endpoints.SourceConnection, endpoints.Database);

    private ISqlServerQueryRunner Target(MigrationEndpoints endpoints) => Connect(endpoints.TargetConnection, endpoints.Database);

    /// <summary>The source server through <c>master</c>: a database is set read-only from outside it.</summary>
    private ISqlServerQueryRunner SourceServer(MigrationEndpoints endpoints) => Connect(WithCatalog(endpoints.SourceConnection, endpoints.Database, "source", "master"), endpoints.Database);

    private ISqlServerQueryRunner TargetServer(MigrationEndpoints endpoints) => Connect(WithCatalog(endpoints.TargetConnection, endpoints.Database, "target", "master"), endpoints.Database);

    private static string WithCatalog(string connection, string database, string side, string catalog)
    {
        var builder = Builder(connection, database, side);
        builder.InitialCatalog = catalog;
        return builder.ConnectionString;
    }

    private ISqlServerQueryRunner Connect(string connection, string database) =>
        _options.ConnectTo?.Invoke(connection, database)
        ?? new SqlServerQueryRunner(connection, database, _options.Runner, _loggers.CreateLogger<SqlServerQueryRunner>());
}

/// <summary>The rule ids of the findings <see cref="SqlServerDatabaseProvider"/> adds to the SQL Server assessment.</summary>
public static class SqlServerProviderRules
{
    /// <summary>Blocking: the migration service is missing, unreadable, or its integration runtime is not online.</summary>
    public const string IntegrationRuntime = "sqlserver.dms-integration-runtime";

    /// <summary>Blocking: the Azure SQL Database target lacks tables the migration copies (DMS copies data only), or cannot be read.</summary>
    public const string TargetSchema = "sqlserver.target-schema";

    /// <summary>Blocking: tables of the Azure SQL Database target already hold rows no migration of this source wrote.</summary>
    public const string TargetNotEmpty = "sqlserver.target-not-empty";
}

/// <summary>The provider's own log lines (events 340–349).</summary>
internal static partial class SqlServerProviderLogs
{
    [LoggerMessage(EventId = 340, Level = LogLevel.Information, Message = "Schema of {Database}: restored with the data from the backup, nothing to create")]
    public static partial void SchemaWithBackup(ILogger logger, string database);

    [LoggerMessage(EventId = 341, Level = LogLevel.Information, Message = "Schema of {Database}: emptied {Tables} table(s) an earlier attempt of this migration copied into")]
    public static partial void EmptiedPartialCopy(ILogger logger, string database, int tables);

    [LoggerMessage(EventId = 342, Level = LogLevel.Information, Message = "Final sync of {Database}: {Tables} table(s) changed during the copy; copying them again with the source read-only")]
    public static partial void RecopyingChangedTables(ILogger logger, string database, int tables);

    [LoggerMessage(EventId = 343, Level = LogLevel.Information, Message = "Compensation of {Database}: no migration of this source writes to {TargetDatabase}; nothing removed")]
    public static partial void NothingToRemove(ILogger logger, string database, string targetDatabase);

    [LoggerMessage(EventId = 344, Level = LogLevel.Information, Message = "Compensation of {Database}: {Summary}")]
    public static partial void Removed(ILogger logger, string database, string summary);
}
