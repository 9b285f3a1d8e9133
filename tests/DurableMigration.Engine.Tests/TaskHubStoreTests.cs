using DurableMigration.Orchestration;
using DurableMigration.Client;
using DurableMigration.Engine.Storage;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Engine.Tests;

/// <summary>The task hub file itself: leases, schema versions.</summary>
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

        await using var connection = new SqliteConnection($"Data Source={harness.TaskHubPath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM NewEvents WHERE InstanceId = $id";
        command.Parameters.AddWithValue("$id", id);
        Assert.Equal(0L, await command.ExecuteScalarAsync());
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
        command.CommandText = "SELECT group_concat(SchemaVersion) FROM Versions";

        Assert.Equal(TaskHubStore.SchemaVersion, await command.ExecuteScalarAsync());
    }
}
