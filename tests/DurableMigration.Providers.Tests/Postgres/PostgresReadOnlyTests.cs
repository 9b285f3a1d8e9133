using DurableMigration.Providers.Postgres;
using Npgsql;

namespace DurableMigration.Providers.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresReadOnlyTests(PostgresClusters clusters)
{
    private const string ReadOnlyTransaction = "25006";

    [Fact]
    public async Task MakeSourceReadOnly_NewSession_WriteFailsAsReadOnly()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "ro", "CREATE TABLE t (id int);");
        var provider = new PostgresDatabaseProvider();

        await provider.MakeSourceReadOnlyAsync(endpoints);
        await provider.MakeSourceReadOnlyAsync(endpoints);

        var error = await Assert.ThrowsAsync<PostgresException>(() => PostgresTestDatabase.ExecuteAsync(endpoints.SourceConnection, "INSERT INTO t VALUES (1)"));
        Assert.Equal(ReadOnlyTransaction, error.SqlState);
    }

    [Fact]
    public async Task MakeSourceReadOnly_OpenSessionThatWrote_IsCutOff()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "rocut", "CREATE TABLE t (id int);");
        await using var session = new NpgsqlConnection(endpoints.SourceConnection);
        await session.OpenAsync();
        await using (var write = new NpgsqlCommand("INSERT INTO t VALUES (1)", session))
        {
            await write.ExecuteNonQueryAsync();
        }

        await new PostgresDatabaseProvider().MakeSourceReadOnlyAsync(endpoints);

        await using var again = new NpgsqlCommand("INSERT INTO t VALUES (2)", session);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => again.ExecuteNonQueryAsync());
        Assert.Equal(1L, await PostgresTestDatabase.ScalarAsync<long>(endpoints.SourceConnection, "SELECT count(*) FROM t"));
    }

    [Fact]
    public async Task MakeSourceWritable_AfterReadOnly_WritesSucceedAgain()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "rw", "CREATE TABLE t (id int);");
        var provider = new PostgresDatabaseProvider();
        await provider.MakeSourceReadOnlyAsync(endpoints);
        await using var readOnlySession = new NpgsqlConnection(endpoints.SourceConnection);
        await readOnlySession.OpenAsync();

        await provider.MakeSourceWritableAsync(endpoints);
        await provider.MakeSourceWritableAsync(endpoints);

        await PostgresTestDatabase.ExecuteAsync(endpoints.SourceConnection, "INSERT INTO t VALUES (1)");
        Assert.Equal(1L, await PostgresTestDatabase.ScalarAsync<long>(endpoints.SourceConnection, "SELECT count(*) FROM t"));
        await using var stale = new NpgsqlCommand("SELECT 1", readOnlySession);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => stale.ExecuteScalarAsync());
    }
}
