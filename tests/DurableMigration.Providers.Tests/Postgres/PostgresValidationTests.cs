using DurableMigration.Manifest;
using DurableMigration.Providers.Postgres;

namespace DurableMigration.Providers.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresValidationTests(PostgresClusters clusters)
{
    private const string Orders = """
        CREATE TABLE orders (id int PRIMARY KEY, amount numeric(12,2), placed timestamptz);
        INSERT INTO orders SELECT i, i * 1.5, timestamptz '2024-01-01 00:00+00' + i * interval '1 minute' FROM generate_series(1, 10000) i;
        CREATE INDEX orders_placed ON orders (placed);
        """;

    [Fact]
    public async Task Validate_ChangedValueInTarget_NamesTableAndKeyRange()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "mismatch", Orders);
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);
        await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        await PostgresTestDatabase.ExecuteAsync(endpoints.TargetConnection, "UPDATE orders SET amount = amount + 0.01 WHERE id = 4500");

        var report = await provider.ValidateAsync(endpoints, new ValidationOptions(true, true));

        Assert.False(report.Passed);
        var table = Assert.Single(report.Tables, t => !t.Matches);
        Assert.Equal("public.orders", table.Table);
        Assert.Equal("rows differ in id 4001..5000", table.Difference);
        Assert.Equal(table.SourceRows, table.TargetRows);
        Assert.Contains("public.orders (rows differ in id 4001..5000)", report.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_RowMissingInTarget_CountsDifferAndRangeNamed()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "missingrow", Orders);
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);
        await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        await PostgresTestDatabase.ExecuteAsync(endpoints.TargetConnection, "DELETE FROM orders WHERE id = 10000");

        var report = await provider.ValidateAsync(endpoints, new ValidationOptions(true, false));

        var table = Assert.Single(report.Tables);
        Assert.Equal((10000L, 9999L), (table.SourceRows, table.TargetRows));
        Assert.Equal("public.orders", table.Table);
        Assert.Equal("rows differ in id 9001..10000", table.Difference);
    }

    [Fact]
    public async Task Validate_IndexMissingInTarget_ListsIt()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "missingindex", Orders);
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);
        await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        await PostgresTestDatabase.ExecuteAsync(endpoints.TargetConnection, "DROP INDEX orders_placed");

        var report = await provider.ValidateAsync(endpoints, new ValidationOptions(false, false));

        Assert.Equal(["index public.orders_placed"], report.MissingInTarget);
        Assert.False(report.Validated);
        Assert.Empty(report.Tables);
    }

    [Fact]
    public async Task Validate_ColumnOfOtherTypeInTarget_ListsColumnInsteadOfFailing()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "columntype", "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 1);");
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);
        await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        await PostgresTestDatabase.ExecuteAsync(endpoints.TargetConnection, "ALTER TABLE t ALTER COLUMN v TYPE bigint");

        var report = await provider.ValidateAsync(endpoints, new ValidationOptions(true, true));

        Assert.Equal(["column public.t.v (integer)"], report.MissingInTarget);
        Assert.False(report.Passed);
    }

    [Fact]
    public async Task Validate_ValuesEqualButNotIdentical_AreAMismatch()
    {
        const string values = """
            CREATE TABLE readings (id int PRIMARY KEY, amount numeric, span interval, doc jsonb);
            INSERT INTO readings VALUES (1, 1.0, '1 day', '{"n": 1.0}'), (2, 2, '2 hours', '{"n": 2}');
            """;
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "identical", values);
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);
        await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        // Equal to the source's values by PostgreSQL's own equality (and hash), but not the same values.
        await PostgresTestDatabase.ExecuteAsync(endpoints.TargetConnection, "UPDATE readings SET amount = 1.00, span = '24 hours', doc = '{\"n\": 1.00}' WHERE id = 1");

        var report = await provider.ValidateAsync(endpoints, new ValidationOptions(false, true));

        var table = Assert.Single(report.Tables);
        Assert.False(table.Matches);
    }

    [Theory]
    [InlineData("bigint", true)]
    [InlineData("character varying(20)", true)]
    [InlineData("timestamp(3) with time zone", true)]
    [InlineData("tstzrange", true)]
    [InlineData("integer[]", true)]
    [InlineData("numeric(12,2)", false)]
    [InlineData("interval", false)]
    [InlineData("jsonb", false)]
    [InlineData("double precision", false)]
    [InlineData("character(3)", false)]
    [InlineData("mood", false)]
    public void HashesExactly_KnowsWhichTypesHashWithoutTheirText(string type, bool exact) =>
        Assert.Equal(exact, PostgresDatabaseProvider.HashesExactly(type));
}
