using DurableMigration.Manifest;
using DurableMigration.Providers.Postgres;

namespace DurableMigration.Providers.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresDropTargetTests(PostgresClusters clusters)
{
    [Fact]
    public async Task DropTarget_CopiedTarget_DropsItAndIsIdempotent()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "drop", "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);");
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);
        await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);

        await provider.DropTargetAsync(endpoints);
        await provider.DropTargetAsync(endpoints);

        Assert.False(await PostgresTestDatabase.DatabaseExistsAsync(clusters.Target, PostgresTestDatabase.TargetDatabase(endpoints)));
        Assert.Equal(1L, await PostgresTestDatabase.ScalarAsync<long>(endpoints.SourceConnection, "SELECT count(*) FROM t"));
    }

    [Fact]
    public async Task DropTarget_ReplicationObjectsLeftOnBothSides_RemovesThem()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "dropreplication", "CREATE TABLE t (id int PRIMARY KEY);");
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);
        var names = ReplicationNames.For(endpoints.SourceConnection, endpoints.TargetConnection);
        await PostgresTestDatabase.ExecuteAsync(endpoints.SourceConnection, $"CREATE PUBLICATION {names.Publication} FOR ALL TABLES");
        await PostgresTestDatabase.ExecuteAsync(endpoints.SourceConnection, $"SELECT pg_create_logical_replication_slot('{names.Slot}', 'pgoutput')");
        await PostgresTestDatabase.ExecuteAsync(endpoints.TargetConnection, $"CREATE SUBSCRIPTION {names.Subscription} CONNECTION '{endpoints.SourceConnection.Replace(";", " ", StringComparison.Ordinal).Replace("Host=", "host=", StringComparison.Ordinal).Replace("Port=", "port=", StringComparison.Ordinal).Replace("Username=", "user=", StringComparison.Ordinal).Replace("Database=", "dbname=", StringComparison.Ordinal).Replace("Pooling=false", string.Empty, StringComparison.Ordinal)}' PUBLICATION {names.Publication} WITH (create_slot = false, slot_name = '{names.Slot}', copy_data = false)");

        await provider.DropTargetAsync(endpoints);

        Assert.False(await PostgresTestDatabase.DatabaseExistsAsync(clusters.Target, PostgresTestDatabase.TargetDatabase(endpoints)));
        Assert.Equal(0L, await PostgresTestDatabase.ScalarAsync<long>(endpoints.SourceConnection, $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{names.Slot}'"));
        Assert.Equal(0L, await PostgresTestDatabase.ScalarAsync<long>(endpoints.SourceConnection, $"SELECT count(*) FROM pg_publication WHERE pubname = '{names.Publication}'"));
    }

    [Fact]
    public async Task DropTarget_NoTargetConnectionOrMissingTarget_DoesNothing()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "droptargetless", "CREATE TABLE t (id int);");
        var provider = new PostgresDatabaseProvider();

        await provider.DropTargetAsync(endpoints with { TargetConnection = string.Empty });
        await provider.DropTargetAsync(endpoints);

        Assert.False(await PostgresTestDatabase.DatabaseExistsAsync(clusters.Target, PostgresTestDatabase.TargetDatabase(endpoints)));
    }

    [Fact]
    public async Task DropTarget_UnreachableSource_StillDropsTarget()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "dropnosource", "CREATE TABLE t (id int);");
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);

        await provider.DropTargetAsync(endpoints with { SourceConnection = "Host=127.0.0.1;Port=1;Database=x;Username=postgres;Timeout=2" });

        Assert.False(await PostgresTestDatabase.DatabaseExistsAsync(clusters.Target, PostgresTestDatabase.TargetDatabase(endpoints)));
    }
}
