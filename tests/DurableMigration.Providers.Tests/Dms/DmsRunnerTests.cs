using DurableMigration.Providers.Dms;
using Microsoft.Extensions.Logging;
using static DurableMigration.Providers.Tests.Dms.DmsTestValues;

namespace DurableMigration.Providers.Tests.Dms;

/// <summary><see cref="DatabaseMigrationRunner"/> against the loopback DMS emulator (src/DurableMigration.AzureEmulators), over HTTPS.</summary>
public sealed class DmsRunnerTests : IAsyncLifetime
{
    private readonly ListLogger _logs = new();
    private DmsEmulator _emulator = null!;
    private DatabaseMigrationRunner _runner = null!;

    public async Task InitializeAsync()
    {
        _emulator = await DmsEmulator.StartAsync();
        var client = new DatabaseMigrationServiceClient(DmsEmulator.Credential, DmsClientTests.Options(_emulator));
        _runner = new DatabaseMigrationRunner(client, new DatabaseMigrationRunnerOptions { PollInterval = TimeSpan.FromMilliseconds(5) }, _logs);
    }

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task An_offline_Azure_SQL_Database_copy_reports_per_table_progress_and_returns_the_rows_of_each_table()
    {
        _emulator.PollsPerStep = 4;
        DatabaseMigrationPlan plan = await _runner.PrepareAsync(SqlDbPlan("sales") with { ExpectedRows = 3000 });
        var progress = new Recorder<CopyProgress>();

        DataCopyResult result = await _runner.CopyAsync(plan, progress);

        Assert.Equal(["[dbo].[Customers]", "[dbo].[Orders]", "[sales].[Lines]"], result.Tables.Select(t => t.Table));
        Assert.All(result.Tables, t => Assert.Equal(_emulator.RowsPerTable, t.Rows));
        Assert.Equal(3 * _emulator.RowsPerTable, result.Rows);
        Assert.Equal(result.Rows * 100, result.Bytes);

        // One report per read; rows only grow; each report has a row per table; the last has every table done.
        Assert.True(progress.Items.Count >= 3, $"{progress.Items.Count} report(s)");
        Assert.Equal(progress.Items.Select(p => p.RowsCopied).Order(), progress.Items.Select(p => p.RowsCopied));
        Assert.All(progress.Items, p => Assert.Equal(3, p.Tables!.Count));
        Assert.All(progress.Items, p => Assert.Equal(3000, p.RowsTotal));
        Assert.Contains(progress.Items, p => p.RowsCopied > 0 && p.RowsCopied < 3000 && p.Tables!.Any(t => !t.Done));
        // Rows read and the throughput of the tables in flight come from the status details too.
        Assert.All(progress.Items, p => Assert.True(p.RowsRead >= p.RowsCopied, $"{p.RowsRead} read, {p.RowsCopied} copied"));
        Assert.Contains(progress.Items, p => p.BytesPerSecond > 0);
        // Tables finish one after another; the one in flight is named first.
        CopyProgress midway = Assert.Single(progress.Items, p => p.Tables!.Count(t => t.Done) == 1);
        Assert.False(midway.Tables![0].Done);
        Assert.Equal(midway.Tables[0].Table, midway.Table);
        CopyProgress last = progress.Items[^1];
        Assert.Equal(3000, last.RowsCopied);
        Assert.All(last.Tables!, t => Assert.True(t.Done));
        Assert.Equal(3000 * 100, last.BytesCopied);
        Assert.Single(_emulator.Requests, r => r.Method == "PUT");
        Assert.True(plan.TargetDatabaseExisted);
    }

    [Fact]
    public async Task A_copy_run_again_after_a_crash_attaches_to_the_running_migration_instead_of_starting_another()
    {
        _emulator.PollsPerStep = 6;
        DatabaseMigrationPlan plan = await _runner.PrepareAsync(SqlDbPlan("billing"));
        using var crash = new CancellationTokenSource();
        var first = new Recorder<CopyProgress>(_ => crash.Cancel());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _runner.CopyAsync(plan, first, crash.Token));
        Assert.Equal("InProgress", _emulator.MigrationStatusOf("billing"));

        DataCopyResult again = await _runner.CopyAsync(plan, new Recorder<CopyProgress>());
        DataCopyResult onceMore = await _runner.CopyAsync(plan, new Recorder<CopyProgress>()); // Already succeeded: attached, not restarted.

        Assert.Equal(2 * _emulator.RowsPerTable, again.Rows);
        Assert.Equal(again.Tables, onceMore.Tables);
        Assert.Equal(again.Rows, onceMore.Rows);
        Assert.Single(_emulator.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public async Task A_failed_migration_is_a_permanent_error_with_the_DMS_code_and_no_password_and_a_rerun_starts_a_new_one()
    {
        _emulator.PollsPerStep = 5;
        DatabaseMigrationPlan plan = await _runner.PrepareAsync(SqlDbPlan("sales"));
        var progress = new Recorder<CopyProgress>(_ => _emulator.FailMigration("sales", "SqlDataCopyFailed", "Failed to copy table [dbo].[Orders]: login failed for user 'loader'."));

        DatabaseMigrationFailedException failure = await Assert.ThrowsAsync<DatabaseMigrationFailedException>(() => _runner.CopyAsync(plan, progress));

        Assert.IsAssignableFrom<INonRetriableException>(failure);
        Assert.Equal("SqlDataCopyFailed", failure.ErrorCode);
        Assert.Contains("SqlDataCopyFailed", failure.Message, StringComparison.Ordinal);
        Assert.Contains("[dbo].[Orders]", failure.Message, StringComparison.Ordinal);
        Assert.Equal("sales", failure.Database);
        foreach (string secret in new[] { SourcePassword, TargetPassword })
        {
            Assert.DoesNotContain(secret, failure.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(secret, plan.ToString(), StringComparison.Ordinal);
        }

        DataCopyResult retried = await _runner.CopyAsync(plan, null);
        Assert.Equal(3 * _emulator.RowsPerTable, retried.Rows);
        Assert.Equal(2, _emulator.Requests.Count(r => r.Method == "PUT"));

        // The logs tell the story (progress, restart) without a secret.
        Assert.Contains(_logs.Lines, l => l.Contains("0/3 table(s) copied", StringComparison.Ordinal));
        Assert.Contains(_logs.Lines, l => l.Contains("again: the earlier one ended Failed", StringComparison.Ordinal));
        Assert.All(_logs.Lines, l => Assert.DoesNotContain(SourcePassword, l, StringComparison.Ordinal));
        Assert.All(_logs.Lines, l => Assert.DoesNotContain(TargetPassword, l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Throttling_with_Retry_After_while_polling_is_survived()
    {
        _emulator.PollsPerStep = 3;
        DatabaseMigrationPlan plan = await _runner.PrepareAsync(SqlDbPlan("sales"));
        bool throttled = false;
        var progress = new Recorder<CopyProgress>(_ =>
        {
            if (!throttled)
            {
                throttled = true;
                _emulator.Throttle(2, retryAfterSeconds: 1);
            }
        });

        DataCopyResult result = await _runner.CopyAsync(plan, progress);

        Assert.Equal(2, _emulator.ThrottledResponses);
        Assert.Equal(3 * _emulator.RowsPerTable, result.Rows);
    }

    [Fact]
    public async Task Resource_Manager_trouble_that_outlasts_the_retries_is_a_retriable_error()
    {
        DatabaseMigrationPlan plan = MiPlan("orders", offline: false);
        for (int i = 0; i < 6; i++)
        {
            _emulator.FailNextRequest(503, "ServiceUnavailable", "The service is temporarily unavailable.");
        }

        DatabaseProviderException failure = await Assert.ThrowsAsync<DatabaseProviderException>(() => _runner.GetReplicationStatusAsync(plan));

        Assert.IsNotType<PermanentDatabaseProviderException>(failure);
        Assert.IsNotAssignableFrom<INonRetriableException>(failure);
        Assert.Contains("retrying can help", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_online_managed_instance_migration_starts_at_cutover_readiness_reports_pending_log_backups_and_cuts_over()
    {
        _emulator.PollsPerStep = 2;
        _emulator.LogBackups = 3;
        _emulator.PollsPerLogBackup = 2;
        DatabaseMigrationPlan plan = await _runner.PrepareAsync(MiPlan("orders", offline: false));
        Assert.False(plan.TargetDatabaseExisted);
        var progress = new Recorder<CopyProgress>();

        DataCopyResult started = await _runner.StartOnlineAsync(plan, progress);

        // Returned once the full backup was restored and log backups were being applied: still InProgress, cutover allowed.
        Assert.Equal("InProgress", _emulator.MigrationStatusOf("orders"));
        Assert.Empty(started.Tables);
        Assert.Equal(0, started.Rows);
        Assert.Equal(_emulator.FullBackupBytes, started.Bytes);
        Assert.StartsWith("restoring full backup orders_full.bak", progress.Items[0].Table, StringComparison.Ordinal);
        Assert.All(progress.Items, p => Assert.Null(p.Tables));
        Assert.Equal("Restoring", _emulator.DatabaseStatusOf(plan.Target.ScopeId, "orders"));

        ReplicationStatus restoring = await _runner.GetReplicationStatusAsync(plan);
        Assert.Equal("restoring log backups", restoring.State);
        Assert.True(restoring.LagBytes > 0);
        Assert.NotNull(restoring.LagSeconds);
        Assert.False(restoring.IsWithin(60));

        var states = new List<ReplicationStatus> { restoring };
        while (states[^1].State != "ready for cutover" && states.Count < 20)
        {
            states.Add(await _runner.GetReplicationStatusAsync(plan));
        }

        ReplicationStatus ready = states[^1];
        Assert.Equal("ready for cutover", ready.State);
        Assert.Equal(0, ready.LagBytes);
        Assert.Equal(0, ready.LagSeconds);
        Assert.True(ready.IsWithin(0));
        Assert.Equal(states.Select(s => s.LagBytes).OrderDescending(), states.Select(s => s.LagBytes));

        ChangeSyncResult cutover = await _runner.CutoverAsync(plan);
        ChangeSyncResult again = await _runner.CutoverAsync(plan); // Already cut over: fine.

        Assert.True(cutover.Final);
        Assert.False(cutover.FullCopy);
        Assert.True(cutover.Elapsed >= TimeSpan.Zero);
        Assert.True(again.Final);
        Assert.Equal("Succeeded", _emulator.MigrationStatusOf("orders"));
        Assert.Equal("Online", _emulator.DatabaseStatusOf(plan.Target.ScopeId, "orders"));
        Assert.Single(_emulator.Requests, r => r.Method == "POST" && r.Path.EndsWith("/cutover", StringComparison.Ordinal));
        Assert.Equal("cut over", (await _runner.GetReplicationStatusAsync(plan)).State);
        Assert.All(states.Select(s => s.State), s => Assert.Contains(s, new[] { "restoring log backups", "ready for cutover" }));
    }

    [Fact]
    public async Task Cutover_waits_until_every_log_backup_is_restored_before_posting_it()
    {
        _emulator.LogBackups = 2;
        _emulator.PollsPerLogBackup = 2;
        DatabaseMigrationPlan plan = await _runner.PrepareAsync(MiPlan("orders", offline: false));
        await _runner.StartOnlineAsync(plan, null);
        Assert.True((await _runner.GetReplicationStatusAsync(plan)).LagBytes > 0);

        ChangeSyncResult result = await _runner.CutoverAsync(plan);

        Assert.True(result.Final);
        Assert.Equal("Succeeded", _emulator.MigrationStatusOf("orders"));
        Assert.Single(_emulator.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task Cancel_and_remove_on_a_managed_instance_deletes_the_database_the_migration_created()
    {
        _emulator.PollsPerLogBackup = 5;
        DatabaseMigrationPlan plan = await _runner.PrepareAsync(MiPlan("orders", offline: false));
        await _runner.StartOnlineAsync(plan, null);
        Assert.Equal("Restoring", _emulator.DatabaseStatusOf(plan.Target.ScopeId, "orders"));

        DatabaseMigrationCompensation removed = await _runner.CancelAndRemoveAsync(plan);

        Assert.True(removed.MigrationCanceled);
        Assert.True(removed.TargetDatabaseDeleted);
        Assert.False(removed.MigrationDeleted);
        Assert.Equal("Canceled", _emulator.MigrationStatusOf("orders"));
        Assert.Null(_emulator.DatabaseStatusOf(plan.Target.ScopeId, "orders"));
        DmsEmulator.RecordedRequest delete = Assert.Single(_emulator.Requests, r => r.Method == "DELETE");
        Assert.Equal(plan.Target.ScopeId + "/databases/orders", delete.Path);
        Assert.Contains("api-version=2021-11-01", delete.Query, StringComparison.Ordinal);
        Assert.Contains(_emulator.Requests, r => r.Path.Contains("/providers/Microsoft.Sql/locations/emulator/managedDatabaseAzureAsyncOperation/", StringComparison.Ordinal));

        // Idempotent: a second run finds nothing to cancel and nothing to delete.
        DatabaseMigrationCompensation again = await _runner.CancelAndRemoveAsync(plan);
        Assert.False(again.MigrationCanceled);
        Assert.False(again.TargetDatabaseDeleted);
        Assert.Single(_emulator.Requests, r => r.Method == "POST" && r.Path.EndsWith("/cancel", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancel_and_remove_on_a_managed_instance_never_deletes_a_database_that_existed_before()
    {
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlMi(Subscription, ResourceGroup, "mi1", "orders");
        _emulator.AddDatabase(target.ScopeId, "orders");
        DatabaseMigrationPlan plan = await _runner.PrepareAsync(MiPlan("orders", offline: false));
        Assert.True(plan.TargetDatabaseExisted);

        // A managed instance restores into a new database only: refused before any create.
        PermanentDatabaseProviderException refused = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _runner.StartOnlineAsync(plan, null));
        Assert.Contains("already exists on managed instance mi1", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_emulator.Requests, r => r.Method == "PUT");

        // Unprepared, the service refuses it (the emulator as the service would).
        PermanentDatabaseProviderException serviceRefused = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(
            () => _runner.StartOnlineAsync(plan with { TargetDatabaseExisted = null }, null));
        Assert.Contains("ManagedDatabaseNameInUse", serviceRefused.Message, StringComparison.Ordinal);

        DatabaseMigrationCompensation removed = await _runner.CancelAndRemoveAsync(plan);

        Assert.False(removed.TargetDatabaseDeleted);
        Assert.Contains("existed before", removed.Summary, StringComparison.Ordinal);
        Assert.Equal("Online", _emulator.DatabaseStatusOf(target.ScopeId, "orders"));
        Assert.DoesNotContain(_emulator.Requests, r => r.Method == "DELETE");
    }

    [Fact]
    public async Task Cancel_and_remove_follows_a_Location_header_when_deleting_the_database()
    {
        _emulator.UseLocationHeader = true;
        DatabaseMigrationPlan plan = await _runner.PrepareAsync(MiPlan("orders", offline: true));
        await _runner.CopyAsync(plan, null);
        Assert.Equal("Online", _emulator.DatabaseStatusOf(plan.Target.ScopeId, "orders"));

        DatabaseMigrationCompensation removed = await _runner.CancelAndRemoveAsync(plan);

        Assert.False(removed.MigrationCanceled);
        Assert.True(removed.TargetDatabaseDeleted);
        Assert.Null(_emulator.DatabaseStatusOf(plan.Target.ScopeId, "orders"));
        Assert.Contains(_emulator.Requests, r => r.Path.Contains("/managedDatabaseOperationResults/", StringComparison.Ordinal));
        Assert.DoesNotContain(_emulator.Requests, r => r.Path.Contains("/managedDatabaseAzureAsyncOperation/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_running_migration_of_another_source_into_the_same_target_is_not_attached_to()
    {
        _emulator.PollsPerStep = 10;
        DatabaseMigrationPlan plan = await _runner.PrepareAsync(SqlDbPlan("sales"));
        using var crash = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _runner.CopyAsync(plan, new Recorder<CopyProgress>(_ => crash.Cancel()), crash.Token));
        var otherSource = new DatabaseMigrationRequest
        {
            MigrationServiceId = MigrationService,
            SourceDatabaseName = "sales_archive",
            SourceSqlConnection = new SqlConnectionInformation { DataSource = "sqlsource.contoso.local", UserName = "migrator", Password = SourcePassword },
            TargetSqlConnection = plan.Request.TargetSqlConnection,
        };

        PermanentDatabaseProviderException refused = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(
            () => _runner.CopyAsync(plan with { Request = otherSource }, null));

        Assert.Contains("Another DMS migration", refused.Message, StringComparison.Ordinal);
        Assert.Single(_emulator.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public async Task Cancel_and_remove_keeps_a_managed_instance_database_whose_origin_is_unknown()
    {
        DatabaseMigrationPlan unprepared = MiPlan("orders", offline: false);
        await _runner.StartOnlineAsync(unprepared, null);

        DatabaseMigrationCompensation removed = await _runner.CancelAndRemoveAsync(unprepared);

        Assert.True(removed.MigrationCanceled);
        Assert.False(removed.TargetDatabaseDeleted);
        Assert.Contains("unknown", removed.Summary, StringComparison.Ordinal);
        Assert.Equal("Restoring", _emulator.DatabaseStatusOf(unprepared.Target.ScopeId, "orders"));
    }

    [Fact]
    public async Task A_managed_instance_migration_that_failed_is_started_again_after_deleting_the_database_it_left()
    {
        _emulator.PollsPerStep = 3;
        DatabaseMigrationPlan plan = await _runner.PrepareAsync(MiPlan("orders", offline: true));
        var progress = new Recorder<CopyProgress>(_ => _emulator.FailMigration("orders", "RestoreFailed", "The backup set of 'orders' is corrupt."));
        DatabaseMigrationFailedException failure = await Assert.ThrowsAsync<DatabaseMigrationFailedException>(() => _runner.CopyAsync(plan, progress));
        Assert.Equal("RestoreFailed", failure.ErrorCode);
        Assert.Equal("Restoring", _emulator.DatabaseStatusOf(plan.Target.ScopeId, "orders"));

        DataCopyResult result = await _runner.CopyAsync(plan, null);

        Assert.Equal(_emulator.FullBackupBytes + (2 * _emulator.LogBackupBytes), result.Bytes);
        Assert.Equal("Online", _emulator.DatabaseStatusOf(plan.Target.ScopeId, "orders"));
        Assert.Equal(2, _emulator.Requests.Count(r => r.Method == "PUT"));
        Assert.Single(_emulator.Requests, r => r.Method == "DELETE");
    }

    [Fact]
    public async Task Cancel_and_remove_of_a_finished_Azure_SQL_Database_migration_deletes_the_migration_and_keeps_the_database()
    {
        DatabaseMigrationPlan plan = await _runner.PrepareAsync(SqlDbPlan("sales"));
        await _runner.CopyAsync(plan, null);

        DatabaseMigrationCompensation removed = await _runner.CancelAndRemoveAsync(plan);
        DatabaseMigrationCompensation again = await _runner.CancelAndRemoveAsync(plan);

        Assert.False(removed.MigrationCanceled);
        Assert.True(removed.MigrationDeleted);
        Assert.False(removed.TargetDatabaseDeleted);
        Assert.False(again.MigrationDeleted);
        Assert.Null(_emulator.MigrationStatusOf("sales"));
        Assert.Equal("Online", _emulator.DatabaseStatusOf(plan.Target.ScopeId, "sales"));
        Assert.DoesNotContain(_emulator.Requests, r => r.Method == "POST");
        Assert.DoesNotContain(_emulator.Requests, r => r.Method == "DELETE" && r.Path.Contains("/databases/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Online_migration_to_Azure_SQL_Database_is_refused_clearly_without_calling_the_service()
    {
        DatabaseMigrationPlan plan = SqlDbPlan("sales") with { Request = SqlDbRequest(offline: false) };

        PermanentDatabaseProviderException start = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _runner.StartOnlineAsync(plan, null));
        await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _runner.GetReplicationStatusAsync(plan));
        await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _runner.CutoverAsync(plan));

        Assert.Contains("Online migration is not supported for Azure SQL Database", start.Message, StringComparison.Ordinal);
        Assert.Empty(_emulator.Requests);
    }

    [Fact]
    public async Task Preparing_an_Azure_SQL_Database_migration_without_its_target_database_is_refused()
    {
        DatabaseMigrationPlan plan = SqlDbPlan("sales", createDatabase: false);

        PermanentDatabaseProviderException refused = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _runner.PrepareAsync(plan));

        Assert.Contains("does not exist", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_emulator.Requests, r => r.Method == "PUT");
    }

    private DatabaseMigrationPlan SqlDbPlan(string database, bool createDatabase = true)
    {
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", database);
        if (createDatabase)
        {
            _emulator.AddDatabase(target.ScopeId, database);
        }

        return new DatabaseMigrationPlan(database, target, SqlDbRequest(database == "sales" ? ["[dbo].[Customers]", "[dbo].[Orders]", "[sales].[Lines]"] : []));
    }

    private static DatabaseMigrationPlan MiPlan(string database, bool offline) =>
        new(database, DatabaseMigrationTarget.SqlMi(Subscription, ResourceGroup, "mi1", database), new DatabaseMigrationRequest
        {
            MigrationServiceId = MigrationService,
            SourceDatabaseName = database,
            SourceSqlConnection = new SqlConnectionInformation { DataSource = "sqlsource.contoso.local", UserName = "migrator", Password = SourcePassword },
            Offline = offline,
            LastBackupName = offline ? $"{database}_log_2.trn" : null,
            BackupConfiguration = new DatabaseMigrationBackupConfiguration
            {
                BlobStorageAccountResourceId = $"/subscriptions/{Subscription}/resourceGroups/{ResourceGroup}/providers/Microsoft.Storage/storageAccounts/backups",
                BlobAccountKey = AccountKey,
                BlobContainerName = database,
            },
        });

    private static DatabaseMigrationRequest SqlDbRequest(IReadOnlyList<string>? tables = null, bool offline = true) => new()
    {
        MigrationServiceId = MigrationService,
        SourceDatabaseName = "sales",
        SourceSqlConnection = new SqlConnectionInformation { DataSource = "sqlsource.contoso.local", UserName = "migrator", Password = SourcePassword },
        TargetSqlConnection = new SqlConnectionInformation { DataSource = "sqlserver1.database.windows.net", UserName = "loader", Password = TargetPassword },
        TableList = tables ?? [],
        Offline = offline,
    };

    /// <summary>Keeps every formatted log line.</summary>
    private sealed class ListLogger : ILogger<DatabaseMigrationRunner>
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception) + (exception is null ? string.Empty : " " + exception));
            }
        }
    }

    /// <summary>Records progress synchronously (unlike <see cref="Progress{T}"/>, which posts to the thread pool) and runs a hook on each report.</summary>
    private sealed class Recorder<T>(Action<T>? onReport = null) : IProgress<T>
    {
        private readonly List<T> _items = [];

        public IReadOnlyList<T> Items
        {
            get
            {
                lock (_items)
                {
                    return [.. _items];
                }
            }
        }

        public void Report(T value)
        {
            lock (_items)
            {
                _items.Add(value);
            }

            onReport?.Invoke(value);
        }
    }
}
