using DurableMigration.Manifest;
using DurableMigration.Providers.Postgres;
using Npgsql;

namespace DurableMigration.Providers.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresCopyTests(PostgresClusters clusters)
{
    /// <summary>Every type and identifier that must survive byte for byte.</summary>
    private const string TypeZoo = """
        CREATE EXTENSION hstore;
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
        CREATE TYPE floatrange AS RANGE (subtype = float8);
        CREATE SCHEMA "Mixed Schema";
        CREATE TABLE "Mixed Schema"."Order Lines" (
            "Line Id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            "Quantity" positive NOT NULL,
            "Price""Quoted" numeric(1000,500),
            total numeric GENERATED ALWAYS AS ("Quantity" * 2) STORED,
            note text);
        COMMENT ON TABLE "Mixed Schema"."Order Lines" IS 'lines, with a comment';
        CREATE TABLE zoo (
            id serial PRIMARY KEY,
            at timestamptz, plain timestamp, d date, span interval, data bytea, doc jsonb, js json,
            ints int[], texts text[], during tstzrange, fr floatrange, feeling mood, uid uuid, addr inet, net cidr,
            money_ money, f4 real, f8 double precision, kv hstore, bits bit varying(16), x xml);
        INSERT INTO zoo (at, plain, d, span, data, doc, js, ints, texts, during, fr, feeling, uid, addr, net, money_, f4, f8, kv, bits, x) VALUES
            ('2024-03-31 01:30:00+01', '2024-03-31 02:30:00', '0001-01-01 BC', '1 year 2 mons 3 days 04:05:06.789', '\x00ff10', '{"b": [1, 2.50, null], "a": "ü"}', '{"keep":  "spacing"}',
             '{1,NULL,3}', '{"a b","c,d",NULL}', '[2024-01-01 00:00+05,2024-02-01 00:00-08)', '[1.5,2.5)', 'happy', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', '10.0.0.0/8',
             '12.34', 3.4028235e38, 0.1, 'a=>1, "b c"=>NULL', B'1011', '<a>x</a>'),
            ('infinity', '-infinity', 'infinity', '-177000000 years', '', '[]', 'null', '{}', '{}', 'empty', '(,)', 'sad', NULL, '::1', '2001:db8::/32', '-0.01', 'NaN', '-0', '', B'', NULL),
            (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        INSERT INTO "Mixed Schema"."Order Lines" ("Quantity", "Price""Quoted", note) VALUES
            (3, 1.0::numeric / 3 + 10::numeric ^ 400, 'first'), (1, -0.00000000000000000000000000000000000000001, E'tab\there'), (7, NULL, NULL);
        CREATE TABLE parent (id int PRIMARY KEY, kind text);
        CREATE TABLE child (extra text) INHERITS (parent);
        INSERT INTO parent VALUES (1, 'parent');
        INSERT INTO child VALUES (2, 'child', 'x');
        CREATE TABLE measurements (at date NOT NULL, value int) PARTITION BY RANGE (at);
        CREATE TABLE measurements_2023 PARTITION OF measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
        CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        INSERT INTO measurements SELECT date '2023-06-01' + i, i FROM generate_series(0, 400) i;
        CREATE SEQUENCE standalone START 100;
        SELECT nextval('standalone'), nextval('standalone');
        CREATE VIEW happy_zoo AS SELECT id, feeling FROM zoo WHERE feeling = 'happy';
        CREATE MATERIALIZED VIEW measurement_totals AS SELECT date_trunc('year', at) AS year, sum(value) AS total FROM measurements GROUP BY 1;
        CREATE INDEX zoo_doc ON zoo USING gin (doc);
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := coalesce(NEW.note, 'touched'); RETURN NEW; END $$;
        CREATE TRIGGER "Touch Lines" BEFORE INSERT ON "Mixed Schema"."Order Lines" FOR EACH ROW EXECUTE FUNCTION touch();
        CREATE TABLE orders (id int PRIMARY KEY, line bigint REFERENCES "Mixed Schema"."Order Lines" ("Line Id"));
        INSERT INTO orders VALUES (1, 1), (2, NULL);
        """;

    [Fact]
    public async Task CopySchemaThenData_TypeZoo_ValidatesAndKeepsValuesExactly()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "zoo", TypeZoo);
        var provider = new PostgresDatabaseProvider();

        var schema = await provider.CopySchemaAsync(endpoints);
        var copy = await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        var report = await provider.ValidateAsync(endpoints, new ValidationOptions(true, true));

        Assert.True(report.Passed, report.Summary);
        Assert.Empty(report.MissingInTarget);
        Assert.True(schema.Tables >= 8, $"tables: {schema.Tables}");
        Assert.True(schema.Triggers >= 1);
        Assert.Equal(3, copy.Tables.Single(t => t.Table == "Mixed Schema.Order Lines").Rows);
        Assert.Equal(401, copy.Tables.Where(t => t.Table.StartsWith("public.measurements_", StringComparison.Ordinal)).Sum(t => t.Rows));
        Assert.DoesNotContain(copy.Tables, t => t.Table == "public.measurements");
        const string values = """
            SELECT string_agg(z::text, '|' ORDER BY id) FROM zoo z
            UNION ALL SELECT string_agg(l::text, '|' ORDER BY "Line Id") FROM "Mixed Schema"."Order Lines" l
            UNION ALL SELECT string_agg(p::text || tableoid::regclass::text, '|' ORDER BY id) FROM parent p
            UNION ALL SELECT last_value::text || is_called::text FROM standalone
            UNION ALL SELECT string_agg(m::text, '|' ORDER BY year) FROM measurement_totals m
            UNION ALL SELECT obj_description('"Mixed Schema"."Order Lines"'::regclass)
            """;
        string settings = "SET TimeZone = 'Pacific/Chatham'; SET DateStyle = 'SQL, DMY'; SET extra_float_digits = 3; ";
        Assert.Equal(await ReadAllAsync(endpoints.SourceConnection, settings + values), await ReadAllAsync(endpoints.TargetConnection, settings + values));
    }

    [Fact]
    public async Task CopyData_TablesLargerThanSplitSize_CopiesRangesInParallelExactly()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "split", """
            CREATE TABLE big (id int PRIMARY KEY, payload text);
            INSERT INTO big SELECT i, repeat(md5(i::text), 4) FROM generate_series(1, 20000) i;
            DELETE FROM big WHERE id % 7 = 0;
            CREATE TABLE small (id int PRIMARY KEY);
            INSERT INTO small SELECT generate_series(1, 10);
            """);
        var provider = new PostgresDatabaseProvider(options: new PostgresProviderOptions { SplitTableBytes = 256 * 1024, ParallelTables = 3 });
        var reports = new List<CopyProgress>();

        await provider.CopySchemaAsync(endpoints);
        var copy = await provider.CopyDataAsync(endpoints, new SynchronousProgress(reports));
        var report = await provider.ValidateAsync(endpoints, new ValidationOptions(true, true));

        Assert.True(report.Passed, report.Summary);
        Assert.Equal(20000 - (20000 / 7), copy.Tables.Single(t => t.Table == "public.big").Rows);
        Assert.Equal(copy.Rows, reports[^1].RowsCopied);
        Assert.True(copy.Bytes > 0);
    }

    [Fact]
    public async Task CopyData_Progress_CountsRowsAndBytesPerTable()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "pertable", """
            CREATE TABLE big (id int PRIMARY KEY, payload text);
            INSERT INTO big SELECT i, repeat(md5(i::text), 4) FROM generate_series(1, 20000) i;
            CREATE TABLE small (id int PRIMARY KEY);
            INSERT INTO small SELECT generate_series(1, 10);
            """);
        var provider = new PostgresDatabaseProvider(options: new PostgresProviderOptions { SplitTableBytes = 256 * 1024, ParallelTables = 3 });
        var reports = new List<CopyProgress>();

        await provider.CopySchemaAsync(endpoints);
        await provider.CopyDataAsync(endpoints, new SynchronousProgress(reports));

        var last = reports[^1].Tables!;
        Assert.Equal(["public.big", "public.small"], last.Select(t => t.Table).Order(StringComparer.Ordinal));
        Assert.All(last, t => Assert.True(t.Done, t.Table));
        Assert.Equal(20000, last.Single(t => t.Table == "public.big").Rows);
        Assert.Equal(10, last.Single(t => t.Table == "public.small").Rows);
        Assert.True(last.Single(t => t.Table == "public.big").Bytes > last.Single(t => t.Table == "public.small").Bytes);
        Assert.Equal(reports[^1].BytesCopied, last.Sum(t => t.Bytes));
    }

    [Fact]
    public async Task CopyData_TypeWithoutBinaryForm_CopiesAsText()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "textcopy", """
            CREATE TYPE plain_text;
            CREATE FUNCTION plain_text_in(cstring) RETURNS plain_text LANGUAGE internal IMMUTABLE STRICT AS 'textin';
            CREATE FUNCTION plain_text_out(plain_text) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'textout';
            CREATE TYPE plain_text (INPUT = plain_text_in, OUTPUT = plain_text_out, INTERNALLENGTH = VARIABLE);
            CREATE TABLE notes (id int PRIMARY KEY, body plain_text);
            INSERT INTO notes VALUES (1, E'line\nbreak'), (2, E'tab\there'), (3, NULL);
            """);

        var report = await PostgresTestDatabase.MigrateAsync(new PostgresDatabaseProviderFactory(), endpoints);

        Assert.True(report.Passed, report.Summary);
        Assert.Equal(3, report.Tables.Single().TargetRows);
    }

    [Fact]
    public async Task CopySchemaAndData_RunTwice_SecondRunReplacesFirst()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "rerun", """
            CREATE TABLE items (id int PRIMARY KEY, name text UNIQUE);
            CREATE TABLE notes (item int REFERENCES items, body text);
            INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 100) i;
            INSERT INTO notes SELECT i, 'note' FROM generate_series(1, 100) i;
            """);
        var provider = new PostgresDatabaseProvider();

        await provider.CopySchemaAsync(endpoints);
        await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        var second = await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        await provider.CopySchemaAsync(endpoints);
        await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        var report = await provider.ValidateAsync(endpoints, new ValidationOptions(true, true));

        Assert.Equal(200, second.Rows);
        Assert.True(report.Passed, report.Summary);
    }

    [Fact]
    public async Task CopyData_RowsLeftByInterruptedCopy_AreReplaced()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "partial", "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'v' FROM generate_series(1, 50) i;");
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);
        await PostgresTestDatabase.ExecuteAsync(endpoints.TargetConnection, "INSERT INTO t VALUES (1, 'left over'), (999, 'left over')");

        var copy = await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        var report = await provider.ValidateAsync(endpoints, new ValidationOptions(true, true));

        Assert.Equal(50, copy.Rows);
        Assert.True(report.Passed, report.Summary);
    }

    [Fact]
    public async Task CopyData_SourceAlreadyReadOnly_CopiesAgain()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "copyreadonly", "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);");
        var provider = new PostgresDatabaseProvider();
        await provider.CopySchemaAsync(endpoints);
        await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        await provider.MakeSourceReadOnlyAsync(endpoints);

        var copy = await provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress);
        var report = await provider.ValidateAsync(endpoints, new ValidationOptions(true, true));

        Assert.Equal(2, copy.Rows);
        Assert.True(report.Passed, report.Summary);
    }

    [Fact]
    public async Task CopyData_TargetRejectsRows_FailsNonRetriablyNamingTheServerError()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "rejected", """
            CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a SELECT generate_series(1, 1000);
            CREATE TABLE b (id int PRIMARY KEY); INSERT INTO b SELECT generate_series(1, 1000);
            CREATE TABLE c (id int PRIMARY KEY); INSERT INTO c SELECT generate_series(1, 1000);
            """);
        var provider = new PostgresDatabaseProvider(options: new PostgresProviderOptions { ParallelTables = 3 });
        await provider.CopySchemaAsync(endpoints);
        await PostgresTestDatabase.ExecuteAsync(endpoints.TargetConnection, "ALTER TABLE b ADD CONSTRAINT small CHECK (id < 500)");

        var error = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => provider.CopyDataAsync(endpoints, PostgresTestDatabase.NoProgress));

        Assert.Contains("23514", error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"Database '{endpoints.Database}': data copy failed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CopySchema_UnmarkedTargetHoldingData_RefusesWithoutTouchingIt()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "foreign", "CREATE TABLE t (id int)");
        string targetName = PostgresTestDatabase.TargetDatabase(endpoints);
        await PostgresClusters.CreateDatabaseAsync(clusters.Target, targetName, "CREATE TABLE precious (id int); INSERT INTO precious VALUES (42);");
        var provider = new PostgresDatabaseProvider();

        var schema = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => provider.CopySchemaAsync(endpoints));
        var drop = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => provider.DropTargetAsync(endpoints));

        Assert.Contains(targetName, schema.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Host=", schema.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("never replaced", drop.Message, StringComparison.Ordinal);
        Assert.Equal(42, await PostgresTestDatabase.ScalarAsync<int>(endpoints.TargetConnection, "SELECT id FROM precious"));
    }

    [Fact]
    public async Task CopySchema_ExistingEmptyTarget_AdoptsIt()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "adopt", "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);");
        await PostgresClusters.CreateDatabaseAsync(clusters.Target, PostgresTestDatabase.TargetDatabase(endpoints));

        var report = await PostgresTestDatabase.MigrateAsync(new PostgresDatabaseProviderFactory(), endpoints);

        Assert.True(report.Passed, report.Summary);
    }

    [Fact]
    public async Task CopySchemaAndData_TableFilter_MovesOnlyIncludedTables()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(
            clusters,
            "filter",
            "CREATE TABLE keep (id int PRIMARY KEY); CREATE TABLE \"Skip Me\" (id int); INSERT INTO keep VALUES (1); INSERT INTO \"Skip Me\" VALUES (2);",
            new TableFilter([], ["public.Skip Me"]));

        var report = await PostgresTestDatabase.MigrateAsync(new PostgresDatabaseProviderFactory(), endpoints);

        Assert.True(report.Passed, report.Summary);
        Assert.Single(report.Tables);
        Assert.Null(await PostgresTestDatabase.ScalarAsync<string>(endpoints.TargetConnection, "SELECT to_regclass('public.\"Skip Me\"')::text"));
    }

    private static async Task<List<string?>> ReadAllAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string?>();
        do
        {
            while (await reader.ReadAsync())
            {
                values.Add(reader.IsDBNull(0) ? null : reader.GetString(0));
            }
        }
        while (await reader.NextResultAsync());
        return values;
    }

    private sealed class SynchronousProgress(List<CopyProgress> reports) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
