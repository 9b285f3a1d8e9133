using System.Data;
using System.Diagnostics;
using DurableMigration.Providers.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;

namespace DurableMigration.Providers.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresReplicationTests(PostgresClusters clusters, ITestOutputHelper output)
{
    private static readonly TimeSpan FinishTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Finish_RowsInsertedWhileSnapshotHeld_ArriveExactlyOnce()
    {
        const string Schema = "CREATE TABLE items (id int NOT NULL, note text); ALTER TABLE items REPLICA IDENTITY FULL;";
        var (source, target) = await CreateAsync("pgr_once", Schema, "INSERT INTO items SELECT g, 'seed ' || g FROM generate_series(1, 1000) g");
        // A password with every character libpq's conninfo quoting must escape: the server (trust) ignores it, but
        // CREATE SUBSCRIPTION fails to parse a badly quoted one.
        source = new NpgsqlConnectionStringBuilder(source) { Password = @"p'a\ss word;x" }.ConnectionString;
        var replication = new PostgresReplication("once");

        await using (var snapshot = await replication.BeginAsync(source, target, ["public.items"]))
        {
            // Committed after the snapshot, before the copy ends: not in the copy, so only replication brings them.
            await ExecuteAsync(source, "INSERT INTO items SELECT g, 'late ' || g FROM generate_series(1001, 1500) g");
            await CopyInSnapshotAsync(source, target, snapshot.SnapshotName, "public.items");
            Assert.Equal(1000L, await ScalarAsync<long>(target, "SELECT count(*) FROM items"));
        }

        await ExecuteAsync(source, "INSERT INTO items SELECT g, 'after ' || g FROM generate_series(1501, 1600) g");
        await replication.SubscribeAsync(source, target);
        await replication.SubscribeAsync(source, target); // idempotent: kept
        var result = await replication.FinishAsync(source, target, null, FinishTimeout);

        Assert.True(result.Final);
        Assert.False(result.FullCopy);
        Assert.Equal(1600L, await ScalarAsync<long>(target, "SELECT count(*) FROM items"));
        Assert.Equal(1600L, await ScalarAsync<long>(target, "SELECT count(DISTINCT id) FROM items"));
        Assert.Equal(
            await ScalarAsync<string>(source, "SELECT string_agg(id || ':' || note, ',' ORDER BY id) FROM items"),
            await ScalarAsync<string>(target, "SELECT string_agg(id || ':' || note, ',' ORDER BY id) FROM items"));
        await AssertNoReplicationLeftAsync(source, target);

        var again = Stopwatch.StartNew();
        var second = await replication.FinishAsync(source, target, null, FinishTimeout);
        output.WriteLine($"second Finish: {again.ElapsedMilliseconds} ms (reported {second.Elapsed.TotalMilliseconds:0.0} ms)");
        Assert.True(second.Final);
        Assert.Equal(1600L, await ScalarAsync<long>(target, "SELECT count(*) FROM items"));
    }

    [Fact]
    public async Task Begin_IdleInTransactionTimeoutOnSource_SnapshotStaysImportable()
    {
        var (source, target) = await CreateAsync("pgr_idle", "CREATE TABLE t (id int PRIMARY KEY);", "INSERT INTO t SELECT generate_series(1, 10)");
        string database = new NpgsqlConnectionStringBuilder(source).Database!;
        await ExecuteAsync(clusters.Source.ConnectionString(), $"ALTER DATABASE \"{database}\" SET idle_in_transaction_session_timeout = '100ms'");
        var replication = new PostgresReplication("idle");

        await using (var snapshot = await replication.BeginAsync(source, target, ["public.t"]))
        {
            await Task.Delay(500); // a copy that takes longer than the timeout to get going
            await CopyInSnapshotAsync(source, target, snapshot.SnapshotName, "public.t");
        }

        Assert.Equal(10L, await ScalarAsync<long>(target, "SELECT count(*) FROM t"));
        await replication.RemoveAsync(source, target);
    }

    [Fact]
    public async Task Finish_ContinuousWriterThenReadOnly_TargetHoldsEveryAcknowledgedWrite()
    {
        const string Schema = "CREATE TABLE events (id bigint PRIMARY KEY, payload text NOT NULL);";
        var (source, target) = await CreateAsync("pgr_writer", Schema, "INSERT INTO events SELECT g, 'seed' FROM generate_series(1, 10000) g");
        var replication = new PostgresReplication("writer", new OutputLogger(output));
        await StartAsync(replication, source, target, "public.events");

        // As cutover does: the replication is streaming before the source is made read-only.
        await WaitForStatusAsync(replication, source, target, s => s.State != "starting");
        var acknowledged = new List<long>();
        PostgresException? refused = null;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            long next = 100_000;
            var connection = new NpgsqlConnection(source);
            await connection.OpenAsync();
            try
            {
                while (true)
                {
                    long id = next++;
                    try
                    {
                        await using var insert = new NpgsqlCommand("INSERT INTO events VALUES (@id, 'written while streaming')", connection);
                        insert.Parameters.AddWithValue("id", id);
                        await insert.ExecuteNonQueryAsync();
                        acknowledged.Add(id);
                    }
                    catch (NpgsqlException)
                    {
                        // Terminated (the source went read-only): a new session must be refused.
                        await connection.DisposeAsync();
                        connection = new NpgsqlConnection(source);
                        await connection.OpenAsync();
                        try
                        {
                            await using var retry = new NpgsqlCommand("INSERT INTO events VALUES (@id, 'written after the block')", connection);
                            retry.Parameters.AddWithValue("id", next++);
                            await retry.ExecuteNonQueryAsync();
                            throw new InvalidOperationException("A write after the block succeeded.");
                        }
                        catch (PostgresException exception)
                        {
                            refused = exception;
                            return;
                        }
                    }
                }
            }
            finally
            {
                await connection.DisposeAsync();
            }
        });

        var streaming = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var status = await replication.GetStatusAsync(source, target, 1);
        output.WriteLine($"status while writing: {status}");

        // Make the source read-only as cutover does: new sessions read-only, the current ones ended.
        string database = new NpgsqlConnectionStringBuilder(source).Database!;
        await ExecuteAsync(clusters.Source.ConnectionString(), $"ALTER DATABASE \"{database}\" SET default_transaction_read_only = on");
        await ExecuteAsync(clusters.Source.ConnectionString(), $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND backend_type = 'client backend'");
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
        double seconds = streaming.Elapsed.TotalSeconds;
        output.WriteLine($"writer: {acknowledged.Count} acknowledged writes in {seconds:0.00} s ({acknowledged.Count / seconds:0} writes/s)");

        var finish = Stopwatch.StartNew();
        var result = await replication.FinishAsync(source, target, null, FinishTimeout);
        output.WriteLine($"Finish under the writer: {result.Elapsed.TotalMilliseconds:0.0} ms (measured outside: {finish.Elapsed.TotalMilliseconds:0.0} ms)");

        Assert.NotNull(refused);
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
        Assert.NotEmpty(acknowledged);
        var onTarget = new HashSet<long>(await ListAsync<long>(target, "SELECT id FROM events WHERE id >= 100000"));
        var missing = acknowledged.Where(id => !onTarget.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged write(s) missing on the target, first {string.Join(", ", missing.Take(5))}");
        Assert.Equal(
            await ScalarAsync<long>(source, "SELECT count(*) FROM events"),
            await ScalarAsync<long>(target, "SELECT count(*) FROM events"));
        Assert.Equal(10_000L + acknowledged.Count, await ScalarAsync<long>(target, "SELECT count(*) FROM events"));
        await AssertNoReplicationLeftAsync(source, target);
    }

    [Fact]
    public async Task GetStatus_BigInsertPending_ReportsLagThenCatchesUpToZero()
    {
        const string Schema = "CREATE TABLE bulk (id int PRIMARY KEY, filler text);";
        var (source, target) = await CreateAsync("pgr_lag", Schema);
        var replication = new PostgresReplication("lag");
        await StartAsync(replication, source, target, "public.bulk");

        var first = await WaitForStatusAsync(replication, source, target, s => s.State != "starting");
        output.WriteLine($"connected: {first}");
        Assert.Equal(1, first.Tables);

        await ExecuteAsync(source, "INSERT INTO bulk SELECT g, repeat('x', 100) FROM generate_series(1, 200000) g");
        var pending = await replication.GetStatusAsync(source, target, 1);
        output.WriteLine($"right after the insert: {pending}");
        Assert.True(pending.LagBytes > 0, $"expected lag, got {pending}");

        var caughtUp = await WaitForStatusAsync(replication, source, target, s => s.LagBytes == 0);
        output.WriteLine($"caught up: {caughtUp}");
        Assert.Equal("streaming", caughtUp.State);
        Assert.Equal(0, caughtUp.LagSeconds);
        Assert.True(caughtUp.IsWithin(0));
        Assert.Equal(200000L, await ScalarAsync<long>(target, "SELECT count(*) FROM bulk"));

        await replication.FinishAsync(source, target, null, FinishTimeout);
    }

    [Fact]
    public async Task GetStatus_SubscriptionDroppedBehindItsBack_FailsClearly()
    {
        var (source, target) = await CreateAsync("pgr_gone", "CREATE TABLE t (id int PRIMARY KEY);");
        var replication = new PostgresReplication("gone");
        await StartAsync(replication, source, target, "public.t");
        var names = ReplicationNames.For(source, target);
        await DropSubscriptionKeepingSlotAsync(target, names.Subscription);

        var failure = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => replication.GetStatusAsync(source, target, 1));
        output.WriteLine(failure.Message);
        Assert.Contains("subscription", failure.Message, StringComparison.Ordinal);
        Assert.Contains("gone", failure.Message, StringComparison.Ordinal);
        Assert.Equal("gone", failure.Database);

        await replication.RemoveAsync(source, target);
        await AssertNoReplicationLeftAsync(source, target);
        await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => replication.GetStatusAsync(source, target, 1));
    }

    [Fact]
    public async Task GetStatus_SlotDroppedBehindItsBack_FailsClearly()
    {
        var (source, target) = await CreateAsync("pgr_noslot", "CREATE TABLE t (id int PRIMARY KEY);");
        var replication = new PostgresReplication("noslot");
        await StartAsync(replication, source, target, "public.t");
        var names = ReplicationNames.For(source, target);
        await ExecuteAsync(target, $"ALTER SUBSCRIPTION {names.Subscription} DISABLE");
        await ExecuteAsync(source, $"SELECT pg_terminate_backend(active_pid, 5000) FROM pg_replication_slots WHERE slot_name = '{names.Slot}' AND active_pid IS NOT NULL");
        await ExecuteAsync(source, $"SELECT pg_drop_replication_slot('{names.Slot}')");

        var failure = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => replication.GetStatusAsync(source, target, 1));
        output.WriteLine(failure.Message);
        Assert.Contains("slot", failure.Message, StringComparison.Ordinal);

        await replication.RemoveAsync(source, target);
        await AssertNoReplicationLeftAsync(source, target);
    }

    [Fact]
    public async Task GetStatusAndFinish_ApplyKeepsFailing_FailClearly()
    {
        var (source, target) = await CreateAsync("pgr_conflict", "CREATE TABLE t (id int PRIMARY KEY, v text);");
        var replication = new PostgresReplication("conflict");
        await StartAsync(replication, source, target, "public.t");
        await ExecuteAsync(target, "INSERT INTO t VALUES (5, 'written on the target')");
        await ExecuteAsync(source, "INSERT INTO t VALUES (5, 'from the source')");

        var waited = Stopwatch.StartNew();
        DatabaseProviderException? failure = null;
        while (failure is null && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            try
            {
                await replication.GetStatusAsync(source, target, 1);
                await Task.Delay(10);
            }
            catch (DatabaseProviderException exception)
            {
                failure = exception;
            }
        }

        Assert.NotNull(failure);
        output.WriteLine($"after {waited.ElapsedMilliseconds} ms: {failure.Message}");
        Assert.IsNotType<PermanentDatabaseProviderException>(failure);
        Assert.Contains("keeps failing", failure.Message, StringComparison.Ordinal);

        var timeout = await Assert.ThrowsAsync<DatabaseProviderException>(() => replication.FinishAsync(source, target, null, TimeSpan.FromMilliseconds(500)));
        output.WriteLine(timeout.Message);
        Assert.Contains("did not apply", timeout.Message, StringComparison.Ordinal);
        Assert.Contains("apply error", timeout.Message, StringComparison.Ordinal);

        // The operator removes the conflicting row: the next attempt goes through.
        await ExecuteAsync(target, "DELETE FROM t WHERE id = 5");
        await replication.FinishAsync(source, target, null, FinishTimeout);
        Assert.Equal("from the source", await ScalarAsync<string>(target, "SELECT v FROM t WHERE id = 5"));
        await AssertNoReplicationLeftAsync(source, target);
    }

    [Fact]
    public async Task Finish_InterruptedTeardown_CompletesWithoutWaiting()
    {
        var (source, target) = await CreateAsync("pgr_resume", "CREATE TABLE t (id int PRIMARY KEY);");
        var replication = new PostgresReplication("resume");
        await StartAsync(replication, source, target, "public.t");
        var names = ReplicationNames.For(source, target);
        // As a final sync that crashed after detaching the subscription and dropping the publication.
        await ExecuteAsync(target, $"ALTER SUBSCRIPTION {names.Subscription} DISABLE");
        await ExecuteAsync(target, $"ALTER SUBSCRIPTION {names.Subscription} SET (slot_name = NONE)");
        await ExecuteAsync(source, $"DROP PUBLICATION {names.Publication}");

        var result = await replication.FinishAsync(source, target, null, TimeSpan.FromMilliseconds(200));

        Assert.True(result.Final);
        await AssertNoReplicationLeftAsync(source, target);
    }

    [Fact]
    public async Task Finish_Sequences_TargetContinuesAfterSource()
    {
        const string Schema = """
            CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, item text);
            CREATE TABLE legacy (id serial PRIMARY KEY, item text);
            CREATE SEQUENCE counter START 100;
            CREATE SEQUENCE untouched START 7;
            """;
        var (source, target) = await CreateAsync("pgr_seq", Schema, "INSERT INTO orders (item) SELECT 'o' FROM generate_series(1, 10); INSERT INTO legacy (item) VALUES ('l');");
        var replication = new PostgresReplication("seq");
        await StartAsync(replication, source, target, "public.orders", "public.legacy");
        await ExecuteAsync(source, "INSERT INTO orders (item) SELECT 'later' FROM generate_series(1, 5); INSERT INTO legacy (item) VALUES ('l2'), ('l3'); SELECT nextval('counter'), nextval('counter'), nextval('counter');");

        await replication.FinishAsync(source, target, null, FinishTimeout);

        Assert.Equal(15L, await ScalarAsync<long>(target, "SELECT count(*) FROM orders"));
        Assert.Equal(16L, await ScalarAsync<long>(target, "INSERT INTO orders (item) VALUES ('on target') RETURNING id"));
        Assert.Equal(4, await ScalarAsync<int>(target, "INSERT INTO legacy (item) VALUES ('on target') RETURNING id"));
        Assert.Equal(103L, await ScalarAsync<long>(target, "SELECT nextval('counter')"));
        Assert.Equal(7L, await ScalarAsync<long>(target, "SELECT nextval('untouched')"));
    }

    [Fact]
    public async Task Finish_ListedSequencesOnly_SyncsThoseAndSkipsMissing()
    {
        const string Schema = "CREATE TABLE t (id int PRIMARY KEY); CREATE SEQUENCE a; CREATE SEQUENCE \"B seq\";";
        var (source, target) = await CreateAsync("pgr_seqlist", Schema, "SELECT nextval('a'), nextval('\"B seq\"'), nextval('\"B seq\"')");
        var replication = new PostgresReplication("seqlist");
        await StartAsync(replication, source, target, "public.t");

        await replication.FinishAsync(source, target, ["public.\"B seq\"", "public.not_there"], FinishTimeout);

        Assert.Equal(3L, await ScalarAsync<long>(target, "SELECT nextval('\"B seq\"')"));
        Assert.Equal(1L, await ScalarAsync<long>(target, "SELECT nextval('a')"));
    }

    [Fact]
    public async Task Finish_UpdatesAndDeletes_ReplicateWithKeyAndWithReplicaIdentityFull()
    {
        const string Schema = """
            CREATE TABLE keyed (id int PRIMARY KEY, v text);
            CREATE TABLE "Full Rows" (a int, b text);
            ALTER TABLE "Full Rows" REPLICA IDENTITY FULL;
            """;
        const string Seed = "INSERT INTO keyed SELECT g, 'v' || g FROM generate_series(1, 100) g; INSERT INTO \"Full Rows\" SELECT g % 10, 'b' || g FROM generate_series(1, 100) g;";
        var (source, target) = await CreateAsync("pgr_upd", Schema, Seed);
        var replication = new PostgresReplication("upd");
        await StartAsync(replication, source, target, "public.keyed", "public.\"Full Rows\"");

        await ExecuteAsync(source, """
            UPDATE keyed SET v = 'changed' WHERE id % 3 = 0;
            UPDATE keyed SET id = id + 1000 WHERE id = 5;
            DELETE FROM keyed WHERE id % 7 = 0;
            INSERT INTO keyed VALUES (500, 'new');
            UPDATE "Full Rows" SET b = 'changed ' || b WHERE a = 3;
            DELETE FROM "Full Rows" WHERE a = 4;
            INSERT INTO "Full Rows" VALUES (42, 'new'), (42, 'new');
            DELETE FROM "Full Rows" WHERE ctid = (SELECT min(ctid) FROM "Full Rows" WHERE a = 42);
            """);
        await replication.FinishAsync(source, target, null, FinishTimeout);

        const string Keyed = "SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM keyed";
        const string Full = "SELECT string_agg(a || ':' || b, ',' ORDER BY a, b) FROM \"Full Rows\"";
        Assert.Equal(await ScalarAsync<string>(source, Keyed), await ScalarAsync<string>(target, Keyed));
        Assert.Equal(await ScalarAsync<string>(source, Full), await ScalarAsync<string>(target, Full));
        Assert.Equal(1L, await ScalarAsync<long>(target, "SELECT count(*) FROM \"Full Rows\" WHERE a = 42"));
        Assert.Equal(0L, await ScalarAsync<long>(target, "SELECT count(*) FROM keyed WHERE id = 5"));
    }

    [Fact]
    public async Task Finish_PartitionedTableInQuotedSchema_ReplicatesThroughTheRoot()
    {
        const string Schema = """
            CREATE SCHEMA "Sales";
            CREATE TABLE "Sales"."Orders" (id int, region text, amount int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
            CREATE TABLE "Sales"."Orders_eu" PARTITION OF "Sales"."Orders" FOR VALUES IN ('eu');
            CREATE TABLE "Sales"."Orders_us" PARTITION OF "Sales"."Orders" FOR VALUES IN ('us');
            """;
        var (source, target) = await CreateAsync("pgr_part", Schema, "INSERT INTO \"Sales\".\"Orders\" SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g FROM generate_series(1, 100) g");
        var replication = new PostgresReplication("part");
        await StartAsync(replication, source, target, "\"Sales\".\"Orders\"");

        await ExecuteAsync(source, """
            INSERT INTO "Sales"."Orders" VALUES (101, 'eu', 1), (102, 'us', 2);
            UPDATE "Sales"."Orders" SET amount = -amount WHERE id <= 10;
            UPDATE "Sales"."Orders" SET region = 'us' WHERE id = 20;
            DELETE FROM "Sales"."Orders_us" WHERE id > 90;
            """);
        await replication.FinishAsync(source, target, null, FinishTimeout);

        const string Rows = "SELECT string_agg(tableoid::regclass || ':' || id || ':' || region || ':' || amount, ',' ORDER BY id, region) FROM \"Sales\".\"Orders\"";
        Assert.Equal(await ScalarAsync<string>(source, Rows), await ScalarAsync<string>(target, Rows));
        await AssertNoReplicationLeftAsync(source, target);
    }

    [Fact]
    public async Task Finish_OfflineCopyWithRecording_SubscribesThenSyncs()
    {
        var (source, target) = await CreateAsync("pgr_offline_final", "CREATE TABLE t (id int PRIMARY KEY, v text);", "INSERT INTO t SELECT g, 'v' FROM generate_series(1, 100) g");
        var replication = new PostgresReplication("offline_final");
        await using (var snapshot = await replication.BeginAsync(source, target, ["public.t"]))
        {
            await ExecuteAsync(source, "INSERT INTO t VALUES (1000, 'during the copy')");
            await CopyInSnapshotAsync(source, target, snapshot.SnapshotName, "public.t");
        }

        await ExecuteAsync(source, "INSERT INTO t SELECT g, 'late' FROM generate_series(101, 150) g; UPDATE t SET v = 'changed' WHERE id <= 10; DELETE FROM t WHERE id > 140 AND id < 1000;");
        string database = new NpgsqlConnectionStringBuilder(source).Database!;
        await ExecuteAsync(clusters.Source.ConnectionString(), $"ALTER DATABASE \"{database}\" SET default_transaction_read_only = on");

        var result = await replication.FinishAsync(source, target, null, FinishTimeout);
        output.WriteLine($"offline final sync (subscribes inside the window): {result.Elapsed.TotalMilliseconds:0.0} ms");

        Assert.True(result.Final);
        const string Rows = "SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM t";
        Assert.Equal(await ScalarAsync<string>(source, Rows), await ScalarAsync<string>(target, Rows));
        Assert.False(await replication.IsRecordingAsync(source, target));
        await AssertNoReplicationLeftAsync(source, target);
    }

    [Fact]
    public async Task Remove_TargetDatabaseDropped_DropsSlotAndIsIdempotent()
    {
        var (source, target) = await CreateAsync("pgr_remove", "CREATE TABLE t (id int PRIMARY KEY);");
        var replication = new PostgresReplication("remove");
        await StartAsync(replication, source, target, "public.t");
        var names = ReplicationNames.For(source, target);

        // A subscription keeps its database from being dropped: whoever dropped the target detached it first, leaving the slot.
        await DropSubscriptionKeepingSlotAsync(target, names.Subscription);
        string targetDatabase = new NpgsqlConnectionStringBuilder(target).Database!;
        await ExecuteAsync(clusters.Target.ConnectionString(), $"DROP DATABASE \"{targetDatabase}\"");
        Assert.Equal(1L, await ScalarAsync<long>(source, $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{names.Slot}'"));

        await replication.RemoveAsync(source, target);
        await AssertNoReplicationLeftAsync(source, target: null);
        await replication.RemoveAsync(source, target);
        await Assert.ThrowsAsync<ArgumentException>(() => replication.RemoveAsync(source, string.Empty));
        await AssertNoReplicationLeftAsync(source, target: null);
    }

    [Fact]
    public async Task Remove_WhileStreamingAndSourceReadOnly_RemovesBothSides()
    {
        var (source, target) = await CreateAsync("pgr_remove_live", "CREATE TABLE t (id int PRIMARY KEY);");
        var replication = new PostgresReplication("remove_live");
        await StartAsync(replication, source, target, "public.t");
        await WaitForStatusAsync(replication, source, target, s => s.State != "starting");
        string database = new NpgsqlConnectionStringBuilder(source).Database!;
        await ExecuteAsync(clusters.Source.ConnectionString(), $"ALTER DATABASE \"{database}\" SET default_transaction_read_only = on");

        await replication.RemoveAsync(source, target);
        await replication.RemoveAsync(source, target);

        await AssertNoReplicationLeftAsync(source, target);
    }

    [Fact]
    public async Task Begin_CalledAgain_RemovesTheEarlierAttemptAndStartsOver()
    {
        var (source, target) = await CreateAsync("pgr_again", "CREATE TABLE t (id int PRIMARY KEY);", "INSERT INTO t SELECT generate_series(1, 10)");
        var replication = new PostgresReplication("again");
        await StartAsync(replication, source, target, "public.t");
        await ExecuteAsync(target, "TRUNCATE t");

        await StartAsync(replication, source, target, "public.t");
        await ExecuteAsync(source, "INSERT INTO t SELECT generate_series(11, 20)");
        await replication.FinishAsync(source, target, null, FinishTimeout);

        Assert.Equal(20L, await ScalarAsync<long>(target, "SELECT count(*) FROM t"));
        await AssertNoReplicationLeftAsync(source, target);
    }

    [Fact]
    public async Task Begin_TableWithoutReplicaIdentity_IsRefusedAndCreatesNothing()
    {
        var (source, target) = await CreateAsync("pgr_noident", "CREATE TABLE keyless (a int); CREATE UNLOGGED TABLE scratch (id int PRIMARY KEY);");
        var replication = new PostgresReplication("noident");

        var failure = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => replication.BeginAsync(source, target, ["public.keyless", "public.scratch", "public.missing"]));
        output.WriteLine(failure.Message);
        Assert.Contains("public.keyless has no replica identity", failure.Message, StringComparison.Ordinal);
        Assert.Contains("public.scratch is unlogged", failure.Message, StringComparison.Ordinal);
        Assert.Contains("public.missing does not exist", failure.Message, StringComparison.Ordinal);
        await AssertNoReplicationLeftAsync(source, target);
    }

    [Fact]
    public async Task Subscribe_TargetLacksTable_FailsWithoutThePassword()
    {
        var (source, target) = await CreateAsync("pgr_secret", "CREATE TABLE t (id int PRIMARY KEY);");
        source = new NpgsqlConnectionStringBuilder(source) { Password = "sekr3t-Passw0rd" }.ConnectionString;
        await ExecuteAsync(target, "DROP TABLE t");
        var replication = new PostgresReplication("secret");
        await using (var snapshot = await replication.BeginAsync(source, target, ["public.t"]))
        {
        }

        var failure = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => replication.SubscribeAsync(source, target));
        output.WriteLine(failure.Message);
        Assert.DoesNotContain("sekr3t", failure.ToString(), StringComparison.Ordinal);
        Assert.Null(failure.InnerException);
        Assert.Contains("does not exist", failure.Message, StringComparison.Ordinal);

        await replication.RemoveAsync(source, target);
        await AssertNoReplicationLeftAsync(source, target);
    }

    private async Task<(string Source, string Target)> CreateAsync(string prefix, string schema, string seed = "")
    {
        string name = clusters.NewDatabaseName(prefix);
        string source = await PostgresClusters.CreateDatabaseAsync(clusters.Source, name, seed.Length > 0 ? schema.TrimEnd().TrimEnd(';') + ";" + seed : schema);
        string target = await PostgresClusters.CreateDatabaseAsync(clusters.Target, name, schema);
        return (source, target);
    }

    /// <summary>Begins, copies every table inside the exported snapshot, and subscribes: the online start.</summary>
    private static async Task StartAsync(PostgresReplication replication, string source, string target, params string[] tables)
    {
        await using (var snapshot = await replication.BeginAsync(source, target, tables))
        {
            await CopyInSnapshotAsync(source, target, snapshot.SnapshotName, tables);
        }

        await replication.SubscribeAsync(source, target);
    }

    private static async Task CopyInSnapshotAsync(string source, string target, string snapshotName, params string[] tables)
    {
        await using var from = new NpgsqlConnection(source);
        await from.OpenAsync();
        await using var transaction = await from.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        await using (var set = new NpgsqlCommand($"SET TRANSACTION SNAPSHOT '{snapshotName}'", from))
        {
            await set.ExecuteNonQueryAsync();
        }

        await using var to = new NpgsqlConnection(target);
        await to.OpenAsync();
        foreach (string table in tables.Select(PostgresReplicationSql.QuoteQualified))
        {
            await using var reader = await from.BeginRawBinaryCopyAsync($"COPY (SELECT * FROM {table}) TO STDOUT (FORMAT BINARY)");
            await using (var writer = await to.BeginRawBinaryCopyAsync($"COPY {table} FROM STDIN (FORMAT BINARY)"))
            {
                await reader.CopyToAsync(writer);
            }
        }

        await transaction.CommitAsync();
    }

    private static async Task DropSubscriptionKeepingSlotAsync(string target, string subscription)
    {
        await ExecuteAsync(target, $"ALTER SUBSCRIPTION {subscription} DISABLE");
        await ExecuteAsync(target, $"ALTER SUBSCRIPTION {subscription} SET (slot_name = NONE)");
        await ExecuteAsync(target, $"DROP SUBSCRIPTION {subscription}");
    }

    private async Task<ReplicationStatus> WaitForStatusAsync(PostgresReplication replication, string source, string target, Func<ReplicationStatus, bool> condition)
    {
        var waited = Stopwatch.StartNew();
        ReplicationStatus status;
        do
        {
            status = await replication.GetStatusAsync(source, target, 1);
            if (condition(status))
            {
                output.WriteLine($"after {waited.ElapsedMilliseconds} ms: {status}");
                return status;
            }

            await Task.Delay(20);
        }
        while (waited.Elapsed < TimeSpan.FromSeconds(30));

        throw new TimeoutException($"The replication's status stayed {status}.");
    }

    private async Task AssertNoReplicationLeftAsync(string source, string? target)
    {
        var names = ReplicationNames.For(source, target ?? source);
        Assert.Equal(0L, await ScalarAsync<long>(source, $"SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'dmig\\_%' AND database = current_database()"));
        Assert.Equal(0L, await ScalarAsync<long>(source, "SELECT count(*) FROM pg_publication"));
        if (target is not null)
        {
            Assert.Equal(0L, await ScalarAsync<long>(target, "SELECT count(*) FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"));
        }

        Assert.Equal(0L, await ScalarAsync<long>(clusters.Source.ConnectionString(), $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{names.Slot}'"));
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<T>> ListAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }
}

/// <summary>Writes log lines to the test's output.</summary>
internal sealed class OutputLogger(ITestOutputHelper output) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        output.WriteLine($"[{logLevel}] {formatter(state, exception)}");
}

public sealed class PostgresReplicationSqlTests
{
    [Theory]
    [InlineData("public.items", "public", "items")]
    [InlineData("items", "public", "items")]
    [InlineData("Sales.Orders", "Sales", "Orders")]
    [InlineData("\"my.schema\".\"odd \"\"name\"\"\"", "my.schema", "odd \"name\"")]
    [InlineData("\"s\".plain", "s", "plain")]
    public void ParseQualifiedName_Forms_SplitIntoSchemaAndName(string qualified, string schema, string name) =>
        Assert.Equal((schema, name), PostgresReplicationSql.ParseQualifiedName(qualified));

    [Theory]
    [InlineData("")]
    [InlineData("a.b.c")]
    [InlineData("a.")]
    [InlineData("\"unterminated")]
    public void ParseQualifiedName_Malformed_Throws(string qualified) =>
        Assert.Throws<ArgumentException>(() => PostgresReplicationSql.ParseQualifiedName(qualified));

    [Fact]
    public void Quote_QuotesAndDoublesQuotes_Always() =>
        Assert.Equal("\"a\"\"b\"", PgSql.Quote("a\"b"));

    [Fact]
    public void LibpqConnectionString_SpecialCharacters_QuotedForLibpq()
    {
        var builder = new NpgsqlConnectionStringBuilder { Host = "db.example", Port = 6432, Database = "my db", Username = "o'neil", Password = @"p\w'd x", SslMode = SslMode.VerifyFull, ApplicationName = "not passed" };

        string conninfo = PostgresReplicationSql.LibpqConnectionString(builder.ConnectionString);

        Assert.Equal(@"host='db.example' port='6432' dbname='my db' user='o\'neil' password='p\\w\'d x' sslmode='verify-full' connect_timeout='15'", conninfo);
    }

    [Fact]
    public void ReadWriteSession_ExistingOptions_AppendsReadWrite()
    {
        string session = PostgresReplicationSql.ReadWriteSession("Host=h;Options=-c search_path=x");
        var builder = new NpgsqlConnectionStringBuilder(session);
        Assert.Equal("-c search_path=x -c default_transaction_read_only=off", builder.Options);
        Assert.False(builder.Pooling);
    }
}
