using Npgsql;

namespace DurableMigration.Providers.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterTests(PostgresClusters clusters)
{
    [Fact]
    public async Task TestClusters_RunWithLogicalWalOnSeparatePorts()
    {
        Assert.NotEqual(clusters.Source.Port, clusters.Target.Port);
        foreach (var cluster in new[] { clusters.Source, clusters.Target })
        {
            await using var connection = new NpgsqlConnection(cluster.ConnectionString());
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SHOW wal_level", connection);
            Assert.Equal("logical", await command.ExecuteScalarAsync());
        }
    }
}
