using DurableMigration.Manifest;
using DurableMigration.Providers.Postgres;
using DurableMigration.Testing;
using Npgsql;

namespace DurableMigration.Providers.Tests.Postgres;

/// <summary>Helpers for the PostgreSQL provider's tests: a source database with SQL, a target name, and queries.</summary>
internal static class PostgresTestDatabase
{
    /// <summary>Creates a source database running <paramref name="sql"/> and names a (not yet existing) target database; returns the endpoints.</summary>
    public static async Task<MigrationEndpoints> CreateAsync(PostgresClusters clusters, string prefix, string sql, TableFilter? tables = null, MigrationMode mode = MigrationMode.Offline)
    {
        string name = clusters.NewDatabaseName(prefix);
        string source = await PostgresClusters.CreateDatabaseAsync(clusters.Source, name, sql);
        return new MigrationEndpoints(name, source, clusters.Target.ConnectionString(name + "_target"), tables) { Mode = mode };
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T?> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        object? value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public static async Task<bool> DatabaseExistsAsync(PostgresCluster cluster, string database) =>
        await ScalarAsync<bool>(cluster.ConnectionString(), $"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{database}')");

    public static string TargetDatabase(MigrationEndpoints endpoints) => new NpgsqlConnectionStringBuilder(endpoints.TargetConnection).Database!;

    public static IProgress<CopyProgress> NoProgress { get; } = new Progress<CopyProgress>(_ => { });

    /// <summary>Runs the schema copy, the data copy and validation (row counts and checksums).</summary>
    public static async Task<ValidationReport> MigrateAsync(PostgresDatabaseProviderFactory factory, MigrationEndpoints endpoints)
    {
        var provider = factory.Create();
        await provider.CopySchemaAsync(endpoints);
        await provider.CopyDataAsync(endpoints, NoProgress);
        return await provider.ValidateAsync(endpoints, new ValidationOptions(true, true));
    }
}

/// <summary>Creates providers for tests, with options.</summary>
internal sealed class PostgresDatabaseProviderFactory(PostgresProviderOptions? options = null)
{
    public PostgresDatabaseProvider Create() => new(options: options);
}
