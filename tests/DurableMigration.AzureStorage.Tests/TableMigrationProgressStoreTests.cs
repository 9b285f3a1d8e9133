using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using DurableMigration.Providers;

namespace DurableMigration.AzureStorage.Tests;

/// <summary><see cref="TableMigrationProgressStore"/> against a real Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableMigrationProgressStoreTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task GetAsync_NothingReported_CreatesTheTableAndReturnsNull()
    {
        string table = AzuriteFixture.NewTableName();
        await using var store = new TableMigrationProgressStore(azurite.Service(), new TableMigrationProgressStoreOptions { TableName = table });

        var progress = await store.GetAsync("wave-1", "users");

        Assert.Null(progress);
        Assert.Contains(azurite.Service().Query(t => t.Name == table), t => t.Name == table);
    }

    [Fact]
    public async Task Report_ThenDispose_AnotherInstanceReadsTheLatestValue()
    {
        var options = new TableMigrationProgressStoreOptions { TableName = AzuriteFixture.NewTableName(), WriteInterval = TimeSpan.FromMilliseconds(20) };
        var writer = new TableMigrationProgressStore(azurite.Service(), options);
        for (int i = 1; i <= 50; i++)
        {
            writer.Report("wave-1", "users", new CopyProgress("posts", i * 10, 500, i * 100));
        }

        await writer.DisposeAsync();
        await using var reader = new TableMigrationProgressStore(azurite.Service(), options);

        Assert.Equal(new CopyProgress("posts", 500, 500, 5000), await reader.GetAsync("wave-1", "users"));
    }

    [Fact]
    public async Task Report_IsReadWithoutDisposing_WithinAWriteInterval()
    {
        await using var store = new TableMigrationProgressStore(azurite.Service(), new TableMigrationProgressStoreOptions { TableName = AzuriteFixture.NewTableName() });

        store.Report("wave-1", "users", new CopyProgress("posts", 10, 100, 1000));

        Assert.Equal(new CopyProgress("posts", 10, 100, 1000), await EventuallyAsync(store, "wave-1", "users", p => p is not null));
    }

    [Fact]
    public async Task Report_ManyWithinOneInterval_CoalesceIntoTheFirstWriteAndOneFlush()
    {
        var writes = new EntityWrites();
        var options = new TableMigrationProgressStoreOptions { TableName = AzuriteFixture.NewTableName(), WriteInterval = TimeSpan.FromHours(1) };
        var store = new TableMigrationProgressStore(azurite.Service(writes), options);

        store.Report("wave-1", "users", new CopyProgress("posts", 1, 1000, 10));
        await EventuallyAsync(store, "wave-1", "users", p => p is not null);
        for (int i = 2; i <= 1000; i++)
        {
            store.Report("wave-1", "users", new CopyProgress("posts", i, 1000, i * 10));
        }

        await store.DisposeAsync();

        Assert.Equal(2, writes.Count);
        await using var reader = new TableMigrationProgressStore(azurite.Service(), options);
        Assert.Equal(new CopyProgress("posts", 1000, 1000, 10000), await reader.GetAsync("wave-1", "users"));
    }

    [Fact]
    public async Task Report_KeepsEachWaveAndDatabaseApart_EvenWithCharactersTableKeysRefuse()
    {
        var options = new TableMigrationProgressStoreOptions { TableName = AzuriteFixture.NewTableName(), WriteInterval = TimeSpan.FromMilliseconds(20) };
        var writer = new TableMigrationProgressStore(azurite.Service(), options);

        writer.Report("wave-1", "users", new CopyProgress("a", 1, 1, 1));
        writer.Report("wave-1", "orders", new CopyProgress("b", 2, 2, 2));
        writer.Report("wave-2", "users", new CopyProgress("c", 3, 3, 3));
        writer.Report("wave/3#x", "db?1\\y", new CopyProgress("d", 4, 4, 4));
        await writer.DisposeAsync();

        await using var reader = new TableMigrationProgressStore(azurite.Service(), options);
        Assert.Equal("a", (await reader.GetAsync("wave-1", "users"))!.Table);
        Assert.Equal("b", (await reader.GetAsync("wave-1", "orders"))!.Table);
        Assert.Equal("c", (await reader.GetAsync("wave-2", "users"))!.Table);
        Assert.Equal("d", (await reader.GetAsync("wave/3#x", "db?1\\y"))!.Table);
        Assert.Null(await reader.GetAsync("wave-2", "orders"));
    }

    [Fact]
    public async Task AFailedWrite_IsWrittenAgainOnTheNextPass()
    {
        var writes = new EntityWrites { FailWrites = 1 };
        await using var store = new TableMigrationProgressStore(
            azurite.Service(writes), new TableMigrationProgressStoreOptions { TableName = AzuriteFixture.NewTableName(), WriteInterval = TimeSpan.FromMilliseconds(50) });

        store.Report("wave-1", "users", new CopyProgress("posts", 7, 70, 700));

        Assert.Equal(new CopyProgress("posts", 7, 70, 700), await EventuallyAsync(store, "wave-1", "users", p => p is not null));
        Assert.Equal(2, writes.Count);
    }

    [Fact]
    public async Task Report_WithTheTableUnreachable_ReturnsAtOnce_AndDisposeGivesUpAfterTheFlushTimeout()
    {
        var store = new TableMigrationProgressStore(
            Unreachable(), new TableMigrationProgressStoreOptions { WriteInterval = TimeSpan.FromMilliseconds(10), FlushTimeout = TimeSpan.FromMilliseconds(500) });

        var reporting = Stopwatch.StartNew();
        for (int i = 0; i < 10_000; i++)
        {
            store.Report("wave-1", "users", new CopyProgress("posts", i, 10_000, i));
        }

        reporting.Stop();
        var disposing = Stopwatch.StartNew();
        await store.DisposeAsync();
        disposing.Stop();

        Assert.True(reporting.Elapsed < TimeSpan.FromSeconds(2), $"10,000 reports took {reporting.Elapsed}");
        Assert.True(disposing.Elapsed < TimeSpan.FromSeconds(20), $"disposal took {disposing.Elapsed}");
    }

    /// <summary>A table service on a loopback port nothing listens on (Azurite's account, so the client builds).</summary>
    private TableServiceClient Unreachable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        string connection = string.Join(';', azurite.ConnectionString.Split(';').Select(p => p.StartsWith("TableEndpoint=", StringComparison.Ordinal) ? $"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1" : p));
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 0;
        return new TableServiceClient(connection, options);
    }

    private static async Task<CopyProgress?> EventuallyAsync(TableMigrationProgressStore store, string wave, string database, Func<CopyProgress?, bool> until)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            var progress = await store.GetAsync(wave, database, timeout.Token);
            if (until(progress))
            {
                return progress;
            }

            await Task.Delay(20, timeout.Token);
        }
    }
}
