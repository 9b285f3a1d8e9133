using DurableMigration.Engine.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Engine.Tests;

/// <summary>The task hub file itself: leases, schema versions, where payloads live.</summary>
public sealed class TaskHubStoreTests
{
    [Fact]
    public async Task LockHeldByAnotherMachine_IsTakenOverOnlyWhenItsLeaseExpires()
    {
        await using var harness = await EngineHarness.StartAsync(
            r => r.AddOrchestratorFunc<string, string>("Quick", (_, s) => Task.FromResult(s)),
            start: false);
        string id = await harness.StartAsync("Quick", "x");
        var store = harness.GetService<TaskHubStore>();
        var locked = await store.LockOrchestrationsAsync("another-machine/1/1/abcd1234", DateTime.UtcNow, TimeSpan.FromSeconds(1), 1, CancellationToken.None);

        await harness.Engine.StartAsync(CancellationToken.None);
        var result = await harness.WaitAsync(id);

        Assert.Single(locked);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.DoesNotContain(harness.Logs.Lines, l => l.EventId.Id == 3); // not released as a dead local process
    }

    [Fact]
    public async Task FinishedInstance_LeavesNoPendingTimerBehind()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("Patient", (ctx, _) => ctx.WaitForExternalEvent<string>("Answer", TimeSpan.FromHours(1))));
        string id = await harness.StartAsync("Patient", "x");
        await harness.WaitUntilAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Running);

        await harness.Client.RaiseEventAsync(id, "Answer", "now");
        await harness.WaitAsync(id);

        Assert.Equal(0L, await harness.QueuedMessagesAsync(id));
    }

    [Fact]
    public async Task Operation_CancelledWhileTheConnectionIsBusy_EndsAtOnceAndTheOneAheadStillRuns()
    {
        string path = Path.Combine(EngineHarness.NewDirectory(), "taskhub.db");
        await using var store = new TaskHubStore(path);
        await store.GetInstanceAsync("any", withPayloads: false, CancellationToken.None); // opens the file and creates the schema
        await using var other = new SqliteConnection($"Data Source={path};Pooling=False");
        await other.OpenAsync();
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE"; // another process holds the write lock: the store's next write waits for it
            await begin.ExecuteNonQueryAsync();
        }

        var ahead = store.AbandonOrchestrationAsync("any", "worker", DateTime.UtcNow, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var behind = store.AbandonOrchestrationAsync("any", "worker", DateTime.UtcNow, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => behind);
        Assert.False(ahead.IsCompleted);
        await using (var rollback = other.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }

        await ahead;
    }

    [Fact]
    public async Task Store_UsedAfterDisposal_SaysSo()
    {
        var store = new TaskHubStore(Path.Combine(EngineHarness.NewDirectory(), "taskhub.db"));
        await store.GetInstanceAsync("any", withPayloads: false, CancellationToken.None);
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetInstanceAsync("any", withPayloads: false, CancellationToken.None));
    }

    [Fact]
    public async Task TaskHub_WrittenByANewerSchema_IsRefusedWithAClearMessage()
    {
        string path = Path.Combine(EngineHarness.NewDirectory(), "taskhub.db");
        await using (var store = new TaskHubStore(path))
        {
            await store.GetInstanceAsync("any", withPayloads: false, CancellationToken.None); // creates the schema
        }

        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO Versions (SchemaVersion, UpgradeTime) VALUES ('99.0.0', 'later')";
            await command.ExecuteNonQueryAsync();
        }

        await using var newer = new TaskHubStore(path);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => newer.GetInstanceAsync("any", withPayloads: false, CancellationToken.None));

        Assert.Contains("newer DurableMigration (schema 99.0.0)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_IsRecordedOnceAcrossReopens()
    {
        string path = Path.Combine(EngineHarness.NewDirectory(), "taskhub.db");
        for (int i = 0; i < 2; i++)
        {
            await using var store = new TaskHubStore(path);
            await store.GetInstanceAsync("any", withPayloads: false, CancellationToken.None);
        }

        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT SchemaVersion FROM Versions ORDER BY SchemaVersion";
        var recorded = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                recorded.Add(reader.GetString(0));
            }
        }

        // Each embedded script once, the newest being this build's schema.
        Assert.Equal(recorded.Distinct(), recorded);
        Assert.Equal(["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"], recorded);
        Assert.Equal(TaskHubStore.SchemaVersion, recorded[^1]);
    }

    [Fact]
    public async Task TaskHub_AtSchema100_IsUpgradedInPlace()
    {
        string path = Path.Combine(EngineHarness.NewDirectory(), "taskhub.db");
        var assembly = typeof(TaskHubStore).Assembly;
        string resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith(".schema-1.0.0.sql", StringComparison.Ordinal));
        string script;
        using (var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!))
        {
            script = await reader.ReadToEndAsync();
        }

        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE Versions (SchemaVersion TEXT NOT NULL PRIMARY KEY, UpgradeTime TEXT NOT NULL); " + script
                + "; INSERT INTO Versions VALUES ('1.0.0', 'then');";
            await command.ExecuteNonQueryAsync();
        }

        await using (var store = new TaskHubStore(path))
        {
            await store.GetInstanceAsync("any", withPayloads: false, CancellationToken.None);
        }

        await using var check = new SqliteConnection($"Data Source={path};Pooling=False");
        await check.OpenAsync();
        await using var query = check.CreateCommand();
        query.CommandText = "SELECT (SELECT group_concat(SchemaVersion) FROM (SELECT SchemaVersion FROM Versions ORDER BY SchemaVersion)), (SELECT COUNT(*) FROM pragma_table_info('Instances') WHERE name = 'ParentExecutionId')";
        await using var result = await query.ExecuteReaderAsync();
        Assert.True(await result.ReadAsync());
        Assert.Equal("1.0.0,1.1.0,1.2.0,1.3.0,1.4.0", result.GetString(0));
        Assert.Equal(1L, result.GetInt64(1));
    }

    [Fact]
    public async Task TaskHub_AtSchema110_KeepsThePayloadsOfItsInstancesWhenUpgraded()
    {
        string path = await CreateHubAtSchemaAsync(["1.0.0", "1.1.0"], """
            INSERT INTO Instances (InstanceId, ExecutionId, Name, RuntimeStatus, Input, Output, CustomStatus, CreatedTime, LastUpdatedTime) VALUES ('old', 'e1', 'Wave', 'Completed', '{"big":true}', '"done"', '"status"', 1, 1);
            INSERT INTO Instances (InstanceId, ExecutionId, Name, RuntimeStatus, CreatedTime, LastUpdatedTime) VALUES ('none', 'e2', 'Wave', 'Running', 1, 1);
            """);

        await using (var store = new TaskHubStore(path))
        {
            var old = await store.GetInstanceAsync("old", withPayloads: true, CancellationToken.None);
            Assert.Equal(("{\"big\":true}", "\"done\"", "\"status\""), (old?.Input, old?.Output, old?.CustomStatus));
            var none = await store.GetInstanceAsync("none", withPayloads: true, CancellationToken.None);
            Assert.Equal((null, null, null), (none?.Input, none?.Output, none?.CustomStatus));
        }

        await using var check = new SqliteConnection($"Data Source={path};Pooling=False");
        await check.OpenAsync();
        await using var query = check.CreateCommand();
        query.CommandText = """
            SELECT (SELECT COUNT(*) FROM Instances WHERE Input IS NOT NULL OR Output IS NOT NULL OR CustomStatus IS NOT NULL),
                (SELECT group_concat(InstanceId) FROM InstanceInputs), (SELECT group_concat(InstanceId) FROM InstanceOutputs), (SELECT group_concat(InstanceId) FROM InstanceCustomStatus)
            """;
        await using var result = await query.ExecuteReaderAsync();
        Assert.True(await result.ReadAsync());
        Assert.Equal(0L, result.GetInt64(0));
        Assert.Equal(["old", "old", "old"], new[] { result.GetString(1), result.GetString(2), result.GetString(3) });
    }

    [Fact]
    public async Task TaskHub_AtSchema130_KeepsHistoriesAndPayloadsWhenUpgraded()
    {
        // Rows inserted out of order: the upgraded table must still give each history in sequence order.
        string path = await CreateHubAtSchemaAsync(["1.0.0", "1.1.0", "1.2.0", "1.3.0"], """
            INSERT INTO Instances (InstanceId, ExecutionId, Name, RuntimeStatus, CreatedTime, LastUpdatedTime, HistoryCount) VALUES ('old', 'e1', 'Wave', 'Running', 1, 1, 2);
            INSERT INTO History VALUES ('old', 1, 'TaskScheduled', 1, '{"eventType":"TaskScheduled","taskId":0,"name":"Copy","timestamp":"2026-01-01T00:00:00Z"}');
            INSERT INTO History VALUES ('other', 0, 'OrchestratorStarted', 1, '{"eventType":"OrchestratorStarted","timestamp":"2026-01-01T00:00:00Z"}');
            INSERT INTO History VALUES ('old', 0, 'OrchestratorStarted', 1, '{"eventType":"OrchestratorStarted","timestamp":"2026-01-01T00:00:00Z"}');
            INSERT INTO InstanceInputs VALUES ('old', '{"big":true}');
            INSERT INTO InstanceOutputs VALUES ('old', '"so far"');
            INSERT INTO InstanceCustomStatus VALUES ('old', '"status"');
            """);

        await using (var store = new TaskHubStore(path))
        {
            var history = await store.LoadHistoryAsync("old", CancellationToken.None);
            Assert.Equal(["OrchestratorStarted", "TaskScheduled"], history.Select(e => e.EventType.ToString()));
            var old = await store.GetInstanceAsync("old", withPayloads: true, CancellationToken.None);
            Assert.Equal(("{\"big\":true}", "\"so far\"", "\"status\""), (old?.Input, old?.Output, old?.CustomStatus));
        }

        await using var check = new SqliteConnection($"Data Source={path};Pooling=False");
        await check.OpenAsync();
        await using var query = check.CreateCommand();
        query.CommandText = """
            SELECT (SELECT COUNT(*) FROM History), (SELECT COUNT(*) FROM sqlite_schema WHERE name = 'IX_ActivityTasks_Instance'),
                (SELECT COUNT(*) FROM sqlite_schema WHERE name IN ('InstanceInputs', 'InstanceOutputs', 'InstanceCustomStatus') AND sql LIKE '%WITHOUT ROWID')
            """;
        await using var result = await query.ExecuteReaderAsync();
        Assert.True(await result.ReadAsync());
        Assert.Equal((3L, 0L, 3L), (result.GetInt64(0), result.GetInt64(1), result.GetInt64(2)));
    }

    [Fact]
    public async Task Payloads_LiveOutsideTheInstanceRow_AndGoWithContinueAsNewAndPurge()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<int, int>("Counter", (ctx, n) =>
            {
                ctx.SetCustomStatus($"at {n}");
                if (n < 2)
                {
                    ctx.ContinueAsNew(n + 1);
                }

                return Task.FromResult(n * 10);
            }));
        var done = await harness.RunAsync("Counter", 0, "counter");
        Assert.Equal(("2", "20", "\"at 2\""), (done.SerializedInput, done.SerializedOutput, done.SerializedCustomStatus));
        var listed = (await harness.QueryAsync(new OrchestrationQuery { FetchInputsAndOutputs = true })).Single();
        Assert.Equal(("2", "20", "\"at 2\""), (listed.SerializedInput, listed.SerializedOutput, listed.SerializedCustomStatus));

        var store = harness.GetService<TaskHubStore>();
        await using (var connection = new SqliteConnection($"Data Source={store.FilePath};Mode=ReadOnly;Pooling=False"))
        {
            await connection.OpenAsync();
            await using var query = connection.CreateCommand();
            query.CommandText = """
                SELECT (SELECT COUNT(*) FROM Instances WHERE InstanceId = 'counter' AND Input IS NULL AND Output IS NULL AND CustomStatus IS NULL),
                    (SELECT Input FROM InstanceInputs WHERE InstanceId = 'counter'), (SELECT Output FROM InstanceOutputs WHERE InstanceId = 'counter'),
                    (SELECT CustomStatus FROM InstanceCustomStatus WHERE InstanceId = 'counter')
                """;
            await using var row = await query.ExecuteReaderAsync();
            Assert.True(await row.ReadAsync());
            Assert.Equal(1L, row.GetInt64(0));
            Assert.Equal(["2", "20", "\"at 2\""], new[] { row.GetString(1), row.GetString(2), row.GetString(3) });
        }

        Assert.Equal(1, (await harness.Client.PurgeInstanceAsync("counter")).PurgedInstanceCount);
        await using (var connection = new SqliteConnection($"Data Source={store.FilePath};Mode=ReadOnly;Pooling=False"))
        {
            await connection.OpenAsync();
            await using var query = connection.CreateCommand();
            query.CommandText = "SELECT (SELECT COUNT(*) FROM InstanceInputs) + (SELECT COUNT(*) FROM InstanceOutputs) + (SELECT COUNT(*) FROM InstanceCustomStatus)";
            Assert.Equal(0L, (long)(await query.ExecuteScalarAsync())!);
        }
    }

    /// <summary>Creates a task hub file as an older build left it: the given schema versions applied and recorded, then <paramref name="rows"/>.</summary>
    private static async Task<string> CreateHubAtSchemaAsync(string[] versions, string rows)
    {
        string path = Path.Combine(EngineHarness.NewDirectory(), "taskhub.db");
        var sql = new System.Text.StringBuilder("CREATE TABLE Versions (SchemaVersion TEXT NOT NULL PRIMARY KEY, UpgradeTime TEXT NOT NULL);");
        foreach (string version in versions)
        {
            sql.Append(await SchemaScriptAsync(version)).Append(';').Append("INSERT INTO Versions VALUES ('").Append(version).Append("', 'then');");
        }

        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql.Append(rows).ToString();
        await command.ExecuteNonQueryAsync();
        return path;
    }

    private static async Task<string> SchemaScriptAsync(string version)
    {
        var assembly = typeof(TaskHubStore).Assembly;
        string resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith($".schema-{version}.sql", StringComparison.Ordinal));
        using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
        return await reader.ReadToEndAsync();
    }
}
