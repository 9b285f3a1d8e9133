using DurableMigration.Manifest;
using DurableMigration.Providers.Postgres;
using Npgsql;

namespace DurableMigration.Providers.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresSchemaTests(PostgresClusters clusters)
{
    [Fact]
    public async Task CopySchema_OwnerRoleExistsOnTarget_ObjectKeepsOwnerOthersBelongToTargetUser()
    {
        string shared = clusters.NewDatabaseName("owner_shared");
        string sourceOnly = clusters.NewDatabaseName("owner_source_only");
        await PostgresTestDatabase.ExecuteAsync(clusters.Source.ConnectionString(), $"CREATE ROLE {shared}; CREATE ROLE {sourceOnly}");
        await PostgresTestDatabase.ExecuteAsync(clusters.Target.ConnectionString(), $"CREATE ROLE {shared}");
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "owners", $"""
            CREATE SCHEMA app AUTHORIZATION {shared};
            CREATE TABLE app.owned (id serial PRIMARY KEY);
            ALTER TABLE app.owned OWNER TO {shared};
            CREATE TABLE app.orphan (id int);
            ALTER TABLE app.orphan OWNER TO {sourceOnly};
            CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
            ALTER FUNCTION app.f() OWNER TO {shared};
            CREATE TYPE app.color AS ENUM ('red');
            ALTER TYPE app.color OWNER TO {shared};
            """);

        await new PostgresDatabaseProvider().CopySchemaAsync(endpoints);

        const string owners = """
            SELECT string_agg(what || '=' || owner, ', ' ORDER BY what) FROM (
                SELECT 'schema' AS what, pg_get_userbyid(nspowner)::text AS owner FROM pg_namespace WHERE nspname = 'app'
                UNION ALL SELECT relname, pg_get_userbyid(relowner)::text FROM pg_class WHERE relnamespace = 'app'::regnamespace AND relkind IN ('r', 'S')
                UNION ALL SELECT proname, pg_get_userbyid(proowner)::text FROM pg_proc WHERE pronamespace = 'app'::regnamespace
                UNION ALL SELECT typname, pg_get_userbyid(typowner)::text FROM pg_type WHERE typnamespace = 'app'::regnamespace AND typtype = 'e') AS o
            """;
        Assert.Equal(
            $"color={shared}, f={shared}, orphan=postgres, owned={shared}, owned_id_seq={shared}, schema={shared}",
            await PostgresTestDatabase.ScalarAsync<string>(endpoints.TargetConnection, owners));
    }

    [Fact]
    public async Task CopySchema_RestoreFails_ThrowsOneLineSummaryOfToolError()
    {
        // The view reads a table the filter leaves behind: its definition cannot be restored.
        var endpoints = await PostgresTestDatabase.CreateAsync(
            clusters,
            "restorefail",
            "CREATE TABLE hidden (id int); CREATE VIEW shows_hidden AS SELECT id FROM hidden;",
            new TableFilter([], ["hidden"]));

        var error = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => new PostgresDatabaseProvider().CopySchemaAsync(endpoints));

        Assert.Contains("pg_restore", error.Message, StringComparison.Ordinal);
        Assert.Contains("hidden", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task CopyTables_GivenExportedSnapshot_CopiesRowsAsOfThatSnapshot()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "snapshot", "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);");
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);
        await using var exporter = new NpgsqlConnection(endpoints.SourceConnection);
        await exporter.OpenAsync();
        await using (var begin = new NpgsqlCommand("BEGIN ISOLATION LEVEL REPEATABLE READ", exporter))
        {
            await begin.ExecuteNonQueryAsync();
        }

        await using var export = new NpgsqlCommand("SELECT pg_export_snapshot()", exporter);
        string snapshot = (string)(await export.ExecuteScalarAsync())!;
        await PostgresTestDatabase.ExecuteAsync(endpoints.SourceConnection, "INSERT INTO t VALUES (3)");

        var copy = await provider.CopyTablesAsync(endpoints, PostgresTestDatabase.NoProgress, snapshot, CancellationToken.None);

        Assert.Equal(2, copy.Rows);
        Assert.Equal(2L, await PostgresTestDatabase.ScalarAsync<long>(endpoints.TargetConnection, "SELECT count(*) FROM t"));
    }
}
