using DurableMigration.Manifest;
using DurableMigration.Providers.Dms;
using DurableMigration.Providers.SqlServer;
using DurableMigration.Providers.Tests.Dms;

namespace DurableMigration.Providers.Tests.SqlServer;

/// <summary>
/// <see cref="SqlServerDatabaseProvider"/> as the orchestration drives it: the Azure side against the loopback DMS emulator over HTTPS,
/// the SQL side replaying recorded result sets (no SQL Server runs here).
/// </summary>
public sealed class SqlServerDatabaseProviderTests : IAsyncLifetime
{
    private const string Subscription = "00000000-1111-2222-3333-444444444444";
    private const string Group = $"/subscriptions/{Subscription}/resourceGroups/waves/providers";
    private const string Server = Group + "/Microsoft.Sql/servers/sql-prod";
    private const string Instance = Group + "/Microsoft.Sql/managedInstances/mi-prod";
    private const string Service = Group + "/Microsoft.DataMigration/sqlMigrationServices/dms1";
    private const string SourcePassword = "S0urce-Pa55word-7f3a";
    private const string SourceConnection = "Server=sqlsource.contoso.local;Database=sales;User ID=migrator;Password=" + SourcePassword + ";Encrypt=True";
    private const string TargetConnection = "Server=sql-prod.database.windows.net;Database=sales;User ID=loader;Password=T4rget-Pa55word-91c2";

    private readonly List<RecordedQueryRunner> _runners = [];
    private DmsEmulator _emulator = null!;
    private DatabaseMigrationServiceClient _client = null!;
    private string[] _targetOverrides = [];

    public async Task InitializeAsync()
    {
        _emulator = await DmsEmulator.StartAsync();
        _emulator.PollsPerStep = 1;
        _client = new DatabaseMigrationServiceClient(DmsEmulator.Credential, DmsClientTests.Options(_emulator));
    }

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task Assessment_adds_a_blocking_finding_when_the_integration_runtime_is_offline()
    {
        _emulator.AddDatabase(Server, "sales");
        _emulator.IntegrationRuntimeState = "Offline";

        AssessmentReport report = await Provider().AssessAsync(SqlDb());

        var finding = Assert.Single(report.Findings, f => f.Rule == SqlServerProviderRules.IntegrationRuntime);
        Assert.Equal(FindingSeverity.Blocking, finding.Severity);
        Assert.Contains("integration runtime of migration service dms1 is Offline", finding.Message, StringComparison.Ordinal);
        Assert.True(report.IsBlocked);
    }

    [Fact]
    public async Task Assessment_of_an_Azure_SQL_Database_target_without_the_deployed_schema_blocks_and_names_the_missing_tables()
    {
        _targetOverrides = ["Provider/TargetMissingTable"];

        AssessmentReport report = await Provider().AssessAsync(SqlDb());

        var finding = Assert.Single(report.Findings, f => f.Rule == SqlServerProviderRules.TargetSchema);
        Assert.Equal(FindingSeverity.Blocking, finding.Severity);
        Assert.Contains("lacks 2 table(s) the migration copies (dbo.events, sales.order lines)", finding.Message, StringComparison.Ordinal);
        Assert.Contains("Deploy the schema first", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_clean_Azure_SQL_Database_target_passes_assessment_without_provider_findings()
    {
        AssessmentReport report = await Provider().AssessAsync(SqlDb());

        Assert.DoesNotContain(report.Findings, f => f.Rule.StartsWith("sqlserver.dms", StringComparison.Ordinal) || f.Rule.StartsWith("sqlserver.target", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Schema_step_refuses_a_target_whose_tables_hold_rows_no_migration_of_this_source_wrote()
    {
        _emulator.AddDatabase(Server, "sales");
        _targetOverrides = ["Provider/TargetWithRows"];

        var error = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => Provider().CopySchemaAsync(SqlDb()));

        Assert.Contains("2 table(s) of the target database sales already hold rows (dbo.customers, dbo.orders)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TargetRunner().Calls, c => c.Query.Name == "compensation.empty-tables");
    }

    [Fact]
    public async Task An_offline_Azure_SQL_Database_copy_moves_the_filtered_tables_with_the_source_row_counts_as_total()
    {
        _emulator.AddDatabase(Server, "sales");
        var provider = Provider();
        var endpoints = SqlDb() with { Tables = new TableFilter([], ["dbo.events"]) };
        var progress = new List<CopyProgress>();

        SchemaCopyResult schema = await provider.CopySchemaAsync(endpoints);
        DataCopyResult copied = await provider.CopyDataAsync(endpoints, new Collector(progress));

        Assert.Equal(3, schema.Tables);
        Assert.Equal(["[dbo].[customers]", "[dbo].[orders]", "[sales].[order lines]"], copied.Tables.Select(t => t.Table));
        Assert.All(progress, p => Assert.Equal(1200 + 5000 + 20000, p.RowsTotal));
        var put = Assert.Single(_emulator.Requests, r => r.Method == "PUT");
        Assert.Contains("\"sourceDatabaseName\":\"sales\"", put.Body, StringComparison.Ordinal);
        Assert.Contains("sqlsource.contoso.local", put.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_final_sync_finds_nothing_to_do_when_every_table_matches()
    {
        _emulator.AddDatabase(Server, "sales");
        var provider = Provider();
        await provider.CopyDataAsync(SqlDb(), new Collector([]));

        ChangeSyncResult sync = await provider.SyncChangesAsync(SqlDb());

        Assert.True(sync.Final);
        Assert.Equal(0, sync.ChangedRows);
        Assert.Empty(sync.Tables);
        Assert.Single(_emulator.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public async Task The_final_sync_copies_again_exactly_the_tables_that_changed_during_the_copy()
    {
        _emulator.AddDatabase(Server, "sales");
        var provider = Provider();
        await provider.CopyDataAsync(SqlDb(), new Collector([]));
        _targetOverrides = ["Validation/TargetChangedRow"];

        ChangeSyncResult sync = await provider.SyncChangesAsync(SqlDb());

        var table = Assert.Single(sync.Tables);
        Assert.Equal("dbo.orders", table.Table);
        Assert.True(sync.Final);
        var emptied = Assert.Single(TargetRunner().Calls, c => c.Query.Name == "compensation.empty-tables");
        Assert.Contains("[dbo].[orders]", emptied.Query.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("[dbo].[customers]", emptied.Query.Text, StringComparison.Ordinal);
        Assert.Single(_emulator.Requests, r => r.Method == "DELETE");
        var recopy = _emulator.Requests.Last(r => r.Method == "PUT");
        Assert.Contains("[dbo].[orders]", recopy.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("[dbo].[customers]", recopy.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cutover_sets_the_source_read_only_through_master()
    {
        await Provider().MakeSourceReadOnlyAsync(SqlDb());

        var runner = Assert.Single(_runners, r => r.Calls.Any(c => c.Query.Name == "cutover.source-read-only"));
        Assert.Contains("[sales]", runner.Calls[0].Query.Text, StringComparison.Ordinal);
        Assert.Contains("master", _connections.Single(c => c.Contains("sqlsource", StringComparison.Ordinal) && c.Contains("master", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compensation_of_a_failed_managed_instance_restore_deletes_the_database_the_restore_created()
    {
        _emulator.FailNextOperation("RestoreFailed", "The backup set is damaged.");
        var provider = Provider();
        await Assert.ThrowsAnyAsync<DatabaseProviderException>(() => provider.CopyDataAsync(ManagedInstance(), new Collector([])));

        await provider.DropTargetAsync(ManagedInstance());

        Assert.Null(_emulator.DatabaseStatusOf(Instance, "sales"));
    }

    [Fact]
    public async Task Compensation_leaves_a_target_alone_when_no_migration_of_this_source_wrote_to_it()
    {
        _emulator.AddDatabase(Instance, "sales");

        await Provider().DropTargetAsync(ManagedInstance());

        Assert.Equal("Online", _emulator.DatabaseStatusOf(Instance, "sales"));
        Assert.DoesNotContain(_emulator.Requests, r => r.Method is "DELETE" or "POST" or "PUT");
        Assert.All(_runners, r => Assert.Empty(r.Calls));
    }

    [Fact]
    public async Task An_online_managed_instance_migration_syncs_until_ready_and_cuts_over_in_the_final_sync()
    {
        var provider = Provider();
        var endpoints = ManagedInstance() with { Mode = MigrationMode.Online };

        await provider.StartReplicationAsync(endpoints, new Collector([]));
        ReplicationStatus status = await provider.GetReplicationStatusAsync(endpoints);
        ChangeSyncResult sync = await provider.SyncChangesAsync(endpoints);

        Assert.NotNull(status.State);
        Assert.True(sync.Final);
        Assert.Equal("Succeeded", _emulator.MigrationStatusOf("sales"));
        Assert.Contains(_emulator.Requests, r => r.Method == "POST" && r.Path.EndsWith("/cutover", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_online_cutover_whose_target_lacks_writes_made_after_the_last_log_backup_fails_naming_the_tables()
    {
        var provider = Provider();
        var endpoints = ManagedInstance() with { Mode = MigrationMode.Online };
        await provider.StartReplicationAsync(endpoints, new Collector([]));
        _targetOverrides = ["Validation/TargetChangedRow"];

        var error = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => provider.SyncChangesAsync(endpoints));

        Assert.Contains("dbo.orders", error.Message, StringComparison.Ordinal);
        Assert.Contains("the target lacks those writes", error.Message, StringComparison.Ordinal);
        Assert.Contains("Roll back", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_request_or_error_carries_the_source_password_in_a_message()
    {
        _emulator.AddDatabase(Server, "sales");
        _emulator.FailNextOperation("SqlConnectionFailed", "Login failed for user 'migrator'.");

        var error = await Assert.ThrowsAnyAsync<DatabaseProviderException>(() => Provider().CopyDataAsync(SqlDb(), new Collector([])));

        Assert.DoesNotContain(SourcePassword, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(SourcePassword, SqlDb().ToString(), StringComparison.Ordinal);
    }

    private readonly List<string> _connections = [];

    private RecordedQueryRunner TargetRunner() => _runners.Single(r => r.Calls.Any(c => c.Query.Name is "cutover.target-tables" or "compensation.empty-tables"));

    private SqlServerDatabaseProvider Provider() => new(
        _client,
        new DatabaseMigrationRunner(_client, new DatabaseMigrationRunnerOptions { PollInterval = TimeSpan.FromMilliseconds(5) }),
        new SqlServerProviderOptions { ConnectTo = Connect });

    private RecordedQueryRunner Connect(string connection, string database)
    {
        lock (_runners)
        {
            _connections.Add(connection);
            var runner = connection.Contains("sqlsource", StringComparison.Ordinal)
                ? RecordedQueryRunner.ProviderSource(database)
                : RecordedQueryRunner.ProviderTarget(database, _targetOverrides);
            _runners.Add(runner);
            return runner;
        }
    }

    private static MigrationEndpoints SqlDb() =>
        new("sales", SourceConnection, TargetConnection, null) { Azure = new AzureTargetSpec(Server, Service) };

    private static MigrationEndpoints ManagedInstance() =>
        new("sales", SourceConnection, "Server=mi-prod.public.abc.database.windows.net,3342;Database=sales;User ID=loader;Password=x", null)
        {
            Azure = new AzureTargetSpec(Instance, Service)
            {
                Backup = new AzureBackupSpec(Group + "/Microsoft.Storage/storageAccounts/backups", "sales-backups", "env:BACKUP_KEY"),
            },
            BackupAccountKey = "QWNjb3VudEtleS1zZWNyZXQ=",
        };

    private sealed class Collector(List<CopyProgress> items) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value)
        {
            lock (items)
            {
                items.Add(value);
            }
        }
    }
}
