using Npgsql;

namespace DurableMigration.Testing;

/// <summary>Two throwaway clusters, a source and a target, shared by every test of a collection (an xunit collection fixture); each test works in databases of its own.</summary>
public sealed class PostgresClusters : IAsyncLifetime
{
    private PostgresCluster? _source;
    private PostgresCluster? _target;
    private int _next;

    /// <summary>Gets the source cluster.</summary>
    public PostgresCluster Source => _source ?? throw new InvalidOperationException("Not started.");

    /// <summary>Gets the target cluster.</summary>
    public PostgresCluster Target => _target ?? throw new InvalidOperationException("Not started.");

    /// <summary>Returns a database name no other test of this run uses.</summary>
    public string NewDatabaseName(string prefix) => $"{prefix}_{Interlocked.Increment(ref _next)}";

    /// <summary>Creates <paramref name="database"/> on <paramref name="cluster"/>, runs <paramref name="sql"/> in it and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(PostgresCluster cluster, string database, string sql = "")
    {
        await using (var admin = new NpgsqlConnection(cluster.ConnectionString()))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        string connection = cluster.ConnectionString(database);
        if (sql.Length > 0)
        {
            await using var db = new NpgsqlConnection(connection);
            await db.OpenAsync();
            await using var command = new NpgsqlCommand(sql, db);
            await command.ExecuteNonQueryAsync();
        }

        return connection;
    }

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        var both = await Task.WhenAll(PostgresCluster.StartAsync(), PostgresCluster.StartAsync());
        (_source, _target) = (both[0], both[1]);
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_source is not null)
        {
            await _source.DisposeAsync();
        }

        if (_target is not null)
        {
            await _target.DisposeAsync();
        }
    }
}
