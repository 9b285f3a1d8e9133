using DurableMigration.Manifest;
using DurableMigration.Providers.Postgres;

namespace DurableMigration.Providers.Tests.Postgres;

/// <summary>The provider's replication end to end: online start, status, the final sync, offline change recording and its fallback, on real clusters.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresChangeSyncTests(PostgresClusters clusters)
{
    private const string Accounts = """
        CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(18,2) NOT NULL);
        CREATE SEQUENCE tickets;
        INSERT INTO accounts SELECT g, 'owner ' || g, g * 1.25 FROM generate_series(1, 2000) g;
        SELECT nextval('tickets') FROM generate_series(1, 5);
        """;

    [Fact]
    public async Task StartReplication_WritesAfterTheCopy_ReachTheTargetAndTheFinalSyncEndsTheReplication()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "online", Accounts, mode: MigrationMode.Online);
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);

        DataCopyResult copied = await provider.StartReplicationAsync(endpoints, PostgresTestDatabase.NoProgress);
        await PostgresTestDatabase.ExecuteAsync(endpoints.SourceConnection, "INSERT INTO accounts SELECT g, 'late ' || g, 1 FROM generate_series(2001, 2500) g; UPDATE accounts SET balance = 0 WHERE id <= 10; DELETE FROM accounts WHERE id = 11; SELECT nextval('tickets') FROM generate_series(1, 10)");
        ReplicationStatus status = await WaitForNoLagAsync(provider, endpoints);
        await provider.MakeSourceReadOnlyAsync(endpoints);
        ChangeSyncResult final = await provider.SyncChangesAsync(endpoints);

        Assert.Equal(2000, copied.Rows);
        Assert.Equal(1, status.Tables);
        Assert.True(final.Final);
        Assert.False(final.FullCopy);
        Assert.Equal(2499L, await PostgresTestDatabase.ScalarAsync<long>(endpoints.TargetConnection, "SELECT count(*) FROM accounts"));
        Assert.Equal(15L, await PostgresTestDatabase.ScalarAsync<long>(endpoints.TargetConnection, "SELECT last_value FROM tickets"));
        Assert.True((await provider.ValidateAsync(endpoints, new ValidationOptions(true, true))).Passed);
        Assert.Equal(0L, await SlotsAsync(endpoints));
        await provider.MakeSourceWritableAsync(endpoints);
    }

    [Fact]
    public async Task GetReplicationStatus_WithoutReplication_FailsNamingWhatIsMissing()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "nostatus", Accounts, mode: MigrationMode.Online);
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);

        var error = await Assert.ThrowsAnyAsync<DatabaseProviderException>(() => provider.GetReplicationStatusAsync(endpoints));

        Assert.Contains(endpoints.Database, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Host=", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfflineCopy_OnALogicalWalSource_RecordsChangesSoTheFinalSyncMovesOnlyThem()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "offrec", Accounts);
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);

        await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        await PostgresTestDatabase.ExecuteAsync(endpoints.SourceConnection, "INSERT INTO accounts VALUES (5000, 'during', 1); UPDATE accounts SET owner = 'changed' WHERE id = 1");
        await provider.MakeSourceReadOnlyAsync(endpoints);
        ChangeSyncResult final = await provider.SyncChangesAsync(endpoints);

        Assert.False(final.FullCopy);
        Assert.Equal("changed", await PostgresTestDatabase.ScalarAsync<string>(endpoints.TargetConnection, "SELECT owner FROM accounts WHERE id = 1"));
        Assert.Equal(2001L, await PostgresTestDatabase.ScalarAsync<long>(endpoints.TargetConnection, "SELECT count(*) FROM accounts"));
        Assert.Equal(0L, await SlotsAsync(endpoints));
        await provider.MakeSourceWritableAsync(endpoints);
    }

    [Fact]
    public async Task OfflineCopy_WithoutChangeRecording_FinalSyncCopiesEverythingAgain()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "offfull", Accounts);
        var provider = new PostgresDatabaseProvider(options: new PostgresProviderOptions { RecordChangesOffline = false });
        await provider.CopySchemaAsync(endpoints);

        await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        await PostgresTestDatabase.ExecuteAsync(endpoints.SourceConnection, "INSERT INTO accounts VALUES (5000, 'during', 1)");
        await provider.MakeSourceReadOnlyAsync(endpoints);
        ChangeSyncResult final = await provider.SyncChangesAsync(endpoints);

        Assert.True(final.FullCopy);
        Assert.Equal(2001L, await PostgresTestDatabase.ScalarAsync<long>(endpoints.TargetConnection, "SELECT count(*) FROM accounts"));
        Assert.True((await provider.ValidateAsync(endpoints, new ValidationOptions(true, true))).Passed);
        await provider.MakeSourceWritableAsync(endpoints);
    }

    [Fact]
    public async Task DropTarget_WhileReplicating_RemovesTheSlotAndTheTarget()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "onlinedrop", Accounts, mode: MigrationMode.Online);
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);
        await provider.StartReplicationAsync(endpoints, PostgresTestDatabase.NoProgress);

        await provider.DropTargetAsync(endpoints);
        await provider.DropTargetAsync(endpoints);

        Assert.Equal(0L, await SlotsAsync(endpoints));
        Assert.False(await PostgresTestDatabase.DatabaseExistsAsync(clusters.Target, PostgresTestDatabase.TargetDatabase(endpoints)));
        Assert.Equal(0L, await PostgresTestDatabase.ScalarAsync<long>(endpoints.SourceConnection, "SELECT count(*) FROM pg_publication"));
    }

    private static async Task<ReplicationStatus> WaitForNoLagAsync(PostgresDatabaseProvider provider, MigrationEndpoints endpoints)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var status = await provider.GetReplicationStatusAsync(endpoints, timeout.Token);
            if (status.LagBytes == 0 && status.State == "streaming")
            {
                return status;
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    private static Task<long> SlotsAsync(MigrationEndpoints endpoints) =>
        PostgresTestDatabase.ScalarAsync<long>(endpoints.SourceConnection, "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()");
}
