using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using DurableMigration.Conformance.Tests.Hosting;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using DurableMigration.Providers;
using DurableMigration.Providers.Connections;
using DurableMigration.Providers.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Conformance.Tests;

/// <summary>
/// Core's three migration orchestrations (<see cref="WaveOrchestration"/>, <see cref="DatabaseMigrationOrchestration"/>,
/// <see cref="WaveRollbackOrchestration"/>) on real SQLite waves: registered with <c>AddMigration()</c>, the ports wired
/// as <c>DmigHost</c> wires them, payloads through the SDK's default <c>JsonDataConverter</c>.
/// </summary>
public sealed class MigrationScenarios : ConformanceScenario
{
    /// <summary>Polls progress often enough that the monitor loop may run, without slowing the wave down.</summary>
    static readonly TimeSpan MonitorInterval = TimeSpan.FromMilliseconds(250);

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Wave_WithADependency_MigratesVerifiesAndSwitchesEveryDatabase(string runtime)
    {
        using var workspace = new MigrationWorkspace();
        WaveManifest manifest = workspace.ReadManifest(onFailure: "rollbackWave");
        var sourcesBefore = await workspace.SnapshotSourcesAsync();
        await using IConformanceHost host = await StartAsync(runtime, r => r.AddMigration(), workspace.AddServices);

        OrchestrationMetadata wave = await RunAsync(
            host.Client, MigrationNames.WaveOrchestration, new WaveInput(manifest, MonitorInterval: MonitorInterval), manifest.Wave);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, wave.RuntimeStatus);
        WaveResult result = wave.ReadOutputAs<WaveResult>()!;
        Assert.Equal(WaveOutcome.Completed, result.Outcome);
        Assert.Equal(manifest.Wave, result.Wave);
        Assert.Equal(MigrationWorkspace.Databases, result.Databases.Select(d => d.Database));
        Assert.All(result.Databases, d => Assert.Equal(DatabaseState.Completed, d.State));
        Assert.All(result.Databases, d => Assert.True(d.Validation!.Passed));
        Assert.All(result.Databases, d => Assert.Equal(
            [Compensation.DropTarget, Compensation.MakeSourceWritable, Compensation.SwitchConsumersBack], d.Registered));
        Assert.Empty(result.RollbackOrder);
        Assert.All(result.Assessment, a => Assert.False(a.IsBlocked));

        // dependsOn: orders started only after customers had finished.
        DateTime ordersStarted = Db(result, "orders").Steps.Min(s => s.StartedAt);
        DateTime customersEnded = Db(result, "customers").Steps.Max(s => s.EndedAt);
        Assert.True(ordersStarted >= customersEnded, $"orders started {ordersStarted:O}, customers ended {customersEnded:O}");

        foreach (string database in MigrationWorkspace.Databases)
        {
            // Each database ran as a sub-orchestration named <wave>:<database>.
            OrchestrationMetadata? child = await host.Client.GetInstanceAsync(
                MigrationNames.DatabaseInstanceId(manifest.Wave, database), getInputsAndOutputs: true);
            Assert.Equal(MigrationNames.DatabaseMigrationOrchestration, child?.Name);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, child?.RuntimeStatus);
            Assert.Equal(DatabaseState.Completed, child!.ReadOutputAs<DatabaseMigrationResult>()!.State);

            // The target holds every source row; the source is read-only; consumers point at the target.
            var expected = MigrationWorkspace.RowCounts[database];
            Assert.Equal(expected, await MigrationWorkspace.CountRowsAsync(workspace.TargetPath(database), expected.Keys));
            Assert.Equal(expected.Values.Sum(), Db(result, database).Rows);
            Assert.NotNull(await workspace.TryWriteSourceAsync(database));
            ConnectionEntry? entry = await workspace.Registry.GetAsync(database);
            Assert.Equal(workspace.TargetConnection(database), entry?.Connection);
            Assert.Equal("sqlite", entry?.Engine);
        }

        Assert.Equal(sourcesBefore, await workspace.SnapshotSourcesAsync());
        WaveStatus status = wave.ReadCustomStatusAs<WaveStatus>()!;
        Assert.Equal("finished", status.Phase);
        Assert.Equal(new string(WaveStatus.CodeOf(DatabaseState.Completed), MigrationWorkspace.Databases.Length), status.States);
        Assert.Equal(new Dictionary<DatabaseState, int> { [DatabaseState.Completed] = MigrationWorkspace.Databases.Length }, status.Counts);
        Assert.Empty(workspace.Alerts.Received);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Drill_AtCutoverUnderRollbackWave_CompensatesInReverseAndLeavesTheSourcesAsTheyWere(string runtime)
    {
        using var workspace = new MigrationWorkspace();
        WaveManifest manifest = workspace.ReadManifest(onFailure: "rollbackWave");
        var sourcesBefore = await workspace.SnapshotSourcesAsync();
        await using IConformanceHost host = await StartAsync(runtime, r => r.AddMigration(), workspace.AddServices);

        // As `dmig run --drill orders:cutover` builds it.
        var input = new WaveInput(manifest, new DrillSpec("orders", MigrationStep.Cutover), MonitorInterval);
        OrchestrationMetadata wave = await RunAsync(host.Client, MigrationNames.WaveOrchestration, input, manifest.Wave);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, wave.RuntimeStatus);
        WaveResult result = wave.ReadOutputAs<WaveResult>()!;
        Assert.Equal(WaveOutcome.RolledBack, result.Outcome);

        // orders failed at cutover (the drill) and undid its own steps, last registered first.
        DatabaseMigrationResult orders = Db(result, "orders");
        Assert.Equal(DatabaseState.RolledBack, orders.State);
        Assert.Equal(MigrationStep.Cutover, orders.FailedStep);
        Assert.Contains("DrillFailureException: Drill: failure injected at step cutover of database 'orders'", orders.Error, StringComparison.Ordinal);
        Assert.Equal([Compensation.MakeSourceWritable, Compensation.DropTarget], orders.CompensationsRun.Select(c => c.Compensation));
        Assert.Empty(orders.Registered);

        // The wave then rolled back customers, which had completed: remediation, cutover, copy, in that order.
        DatabaseMigrationResult customers = Db(result, "customers");
        Assert.Equal(DatabaseState.RolledBack, customers.State);
        Assert.Null(customers.FailedStep);
        Assert.Equal(
            [Compensation.SwitchConsumersBack, Compensation.MakeSourceWritable, Compensation.DropTarget],
            customers.CompensationsRun.Select(c => c.Compensation));
        Assert.Equal(["customers"], result.RollbackOrder);
        Assert.All(result.Databases.SelectMany(d => d.CompensationsRun), c => Assert.True(c.Succeeded, c.Error));

        // The drill's failure raised one error alert for orders.
        Assert.Contains(workspace.Alerts.Received, a => a is { Kind: "error", Database: "orders" } && a.Message.Contains("failed at cutover", StringComparison.Ordinal));

        // Sources intact and writable, targets dropped, consumers on the sources.
        Assert.Equal(sourcesBefore, await workspace.SnapshotSourcesAsync());
        foreach (string database in MigrationWorkspace.Databases)
        {
            Assert.Null(await workspace.TryWriteSourceAsync(database));
            Assert.False(File.Exists(workspace.TargetPath(database)), $"the target of {database} is still there");
        }

        Assert.Equal(workspace.SourceConnection("customers"), (await workspace.Registry.GetAsync("customers"))?.Connection);
        Assert.Equal(2, (await workspace.Registry.GetHistoryAsync("customers")).Count); // to the target, and back
        Assert.Null(await workspace.Registry.GetAsync("orders")); // never switched
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Rollback_OfAFinishedWave_SwitchesConsumersBackAndDropsTheTargetsDependentsFirst(string runtime)
    {
        using var workspace = new MigrationWorkspace();
        WaveManifest manifest = workspace.ReadManifest(onFailure: "rollbackWave");
        var sourcesBefore = await workspace.SnapshotSourcesAsync();
        await using IConformanceHost host = await StartAsync(runtime, r => r.AddMigration(), workspace.AddServices);
        OrchestrationMetadata wave = await RunAsync(
            host.Client, MigrationNames.WaveOrchestration, new WaveInput(manifest, MonitorInterval: MonitorInterval), manifest.Wave);
        Assert.Equal(WaveOutcome.Completed, wave.ReadOutputAs<WaveResult>()?.Outcome);

        // As `dmig rollback <wave>` does for a finished wave: the manifest and result read back from the instance.
        WaveInput recorded = wave.ReadInputAs<WaveInput>()!;
        WaveResult previous = wave.ReadOutputAs<WaveResult>()!;
        Assert.Equal(manifest.Wave, recorded.Manifest.Wave);
        Assert.Equal(["customers"], recorded.Manifest.Databases.Single(d => d.Name == "orders").DependsOn);
        OrchestrationMetadata rollback = await RunAsync(
            host.Client,
            MigrationNames.WaveRollbackOrchestration,
            new WaveRollbackInput(recorded.Manifest, previous),
            MigrationNames.RollbackInstanceId(manifest.Wave));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, rollback.RuntimeStatus);
        WaveResult result = rollback.ReadOutputAs<WaveResult>()!;
        Assert.Equal(WaveOutcome.RolledBack, result.Outcome);
        Assert.Equal(["orders", "customers"], result.RollbackOrder);
        foreach (string database in MigrationWorkspace.Databases)
        {
            DatabaseMigrationResult db = Db(result, database);
            Assert.Equal(DatabaseState.RolledBack, db.State);
            Assert.Empty(db.Registered);
            Assert.Equal(
                [Compensation.SwitchConsumersBack, Compensation.MakeSourceWritable, Compensation.DropTarget],
                db.CompensationsRun.Select(c => c.Compensation));
            Assert.All(db.CompensationsRun, c => Assert.True(c.Succeeded, c.Error));

            Assert.Equal(workspace.SourceConnection(database), (await workspace.Registry.GetAsync(database))?.Connection);
            Assert.Equal(2, (await workspace.Registry.GetHistoryAsync(database)).Count);
            Assert.False(File.Exists(workspace.TargetPath(database)), $"the target of {database} is still there");
            Assert.Null(await workspace.TryWriteSourceAsync(database));
        }

        Assert.Equal(sourcesBefore, await workspace.SnapshotSourcesAsync());
        Assert.Equal("finished", rollback.ReadCustomStatusAs<WaveStatus>()?.Phase);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task ManualApproval_ThenRollbackOfTheRunningWave_StopsTheWaitingDatabaseAndUndoesTheCompletedOne(string runtime)
    {
        using var workspace = new MigrationWorkspace();
        WaveManifest manifest = workspace.ReadManifest(onFailure: "rollbackWave", approval: "manual");
        var sourcesBefore = await workspace.SnapshotSourcesAsync();
        await using IConformanceHost host = await StartAsync(runtime, r => r.AddMigration(), workspace.AddServices);
        await host.Client.ScheduleNewOrchestrationInstanceAsync(
            MigrationNames.WaveOrchestration, new WaveInput(manifest, MonitorInterval: MonitorInterval), new StartOrchestrationOptions(manifest.Wave));
        string customersId = MigrationNames.DatabaseInstanceId(manifest.Wave, "customers");
        string ordersId = MigrationNames.DatabaseInstanceId(manifest.Wave, "orders");

        // `dmig approve <wave> customers`: the event goes to the database's sub-orchestration.
        OrchestrationMetadata waiting = await WaitForDatabaseStateAsync(host.Client, customersId, DatabaseState.AwaitingApproval);
        Assert.Contains($"dmig approve {manifest.Wave} customers", waiting.ReadCustomStatusAs<DatabaseStatus>()!.Message, StringComparison.Ordinal);

        // The database told its wave (SendEvent to its parent): the wave's own status shows the gate and the command.
        OrchestrationMetadata gated = await WaitUntilAsync(
            host.Client,
            manifest.Wave,
            m => m.SerializedCustomStatus is not null && m.ReadCustomStatusAs<WaveStatus>()?.Attention is { Count: > 0 },
            "the wave's status listing a database awaiting approval");
        WaveStatus waveStatus = gated.ReadCustomStatusAs<WaveStatus>()!;
        Assert.Equal(WaveStatus.CodeOf(DatabaseState.AwaitingApproval), waveStatus.States[0]);
        WaveAttention attention = Assert.Single(waveStatus.Attention!);
        Assert.Equal(new WaveAttention("customers", DatabaseState.AwaitingApproval, $"dmig approve {manifest.Wave} customers", null), attention);
        Assert.False(File.Exists(workspace.TargetPath("orders"))); // orders waits for customers
        await host.Client.RaiseEventAsync(customersId, MigrationNames.ApproveCutoverEvent, "operator");

        // orders starts once customers completed, and waits for approval in turn; then `dmig rollback <wave>` of a
        // running wave: Rollback to the wave and to every running database.
        await WaitForDatabaseStateAsync(host.Client, ordersId, DatabaseState.AwaitingApproval);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await host.Client.GetInstanceAsync(customersId))?.RuntimeStatus);
        await host.Client.RaiseEventAsync(manifest.Wave, MigrationNames.RollbackEvent, "cli");
        await host.Client.RaiseEventAsync(ordersId, MigrationNames.RollbackEvent, "cli");
        OrchestrationMetadata wave = await WaitForCompletionAsync(host.Client, manifest.Wave);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, wave.RuntimeStatus);
        WaveResult result = wave.ReadOutputAs<WaveResult>()!;
        Assert.Equal(WaveOutcome.RolledBack, result.Outcome);
        DatabaseMigrationResult orders = Db(result, "orders");
        Assert.Equal(DatabaseState.RolledBack, orders.State);
        Assert.Null(orders.FailedStep);
        Assert.Equal("rollback requested", orders.Error);
        Assert.Equal([Compensation.DropTarget], orders.CompensationsRun.Select(c => c.Compensation));
        DatabaseMigrationResult customers = Db(result, "customers");
        Assert.Equal(DatabaseState.RolledBack, customers.State);
        Assert.Equal(
            [Compensation.SwitchConsumersBack, Compensation.MakeSourceWritable, Compensation.DropTarget],
            customers.CompensationsRun.Select(c => c.Compensation));
        Assert.Equal(["customers"], result.RollbackOrder);
        Assert.All(result.Databases.SelectMany(d => d.CompensationsRun), c => Assert.True(c.Succeeded, c.Error));

        Assert.Equal(sourcesBefore, await workspace.SnapshotSourcesAsync());
        foreach (string database in MigrationWorkspace.Databases)
        {
            Assert.Null(await workspace.TryWriteSourceAsync(database));
            Assert.False(File.Exists(workspace.TargetPath(database)), $"the target of {database} is still there");
        }

        Assert.Equal(workspace.SourceConnection("customers"), (await workspace.Registry.GetAsync("customers"))?.Connection);
        Assert.Null(await workspace.Registry.GetAsync("orders"));
        Assert.Empty(workspace.Alerts.Received); // a requested rollback is not a failure
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Retry_AfterACutoverFailed_NeedsAFreshApproval_EvenWithAStaleOneBuffered(string runtime)
    {
        using var workspace = new MigrationWorkspace();
        WaveManifest manifest = workspace.ReadManifest(onFailure: "askOperator", approval: "manual");
        await using IConformanceHost host = await StartAsync(runtime, r => r.AddMigration(), workspace.AddServices);
        var input = new WaveInput(manifest, new DrillSpec("customers", MigrationStep.Cutover), MonitorInterval);
        await host.Client.ScheduleNewOrchestrationInstanceAsync(MigrationNames.WaveOrchestration, input, new StartOrchestrationOptions(manifest.Wave));
        string customersId = MigrationNames.DatabaseInstanceId(manifest.Wave, "customers");

        // Approved twice (as "approve every waiting database" does while this one's state still lags): the second
        // approval stays buffered while the drill fails the cutover itself.
        await WaitForDatabaseStateAsync(host.Client, customersId, DatabaseState.AwaitingApproval);
        await host.Client.RaiseEventAsync(customersId, MigrationNames.ApproveCutoverEvent, "operator");
        await host.Client.RaiseEventAsync(customersId, MigrationNames.ApproveCutoverEvent, "operator again");
        await WaitForDatabaseStateAsync(host.Client, customersId, DatabaseState.NeedsAttention);
        await host.Client.RaiseEventAsync(customersId, MigrationNames.RetryEvent, "fixed");

        // The retried cutover waits for a fresh approval instead of taking the stale one.
        await WaitForDatabaseStateAsync(host.Client, customersId, DatabaseState.AwaitingApproval);
        Assert.False(File.Exists(workspace.TargetPath("orders")));
        await host.Client.RaiseEventAsync(customersId, MigrationNames.ApproveCutoverEvent, "operator");
        string ordersId = MigrationNames.DatabaseInstanceId(manifest.Wave, "orders");
        await WaitForDatabaseStateAsync(host.Client, ordersId, DatabaseState.AwaitingApproval);
        await host.Client.RaiseEventAsync(ordersId, MigrationNames.ApproveCutoverEvent, "operator");
        OrchestrationMetadata wave = await WaitForCompletionAsync(host.Client, manifest.Wave);

        Assert.Equal(WaveOutcome.Completed, wave.ReadOutputAs<WaveResult>()!.Outcome);
    }

    internal static DatabaseMigrationResult Db(WaveResult result, string database) => result.Databases.Single(d => d.Database == database);

    internal static Task<OrchestrationMetadata> WaitForDatabaseStateAsync(DurableTaskClient client, string instanceId, DatabaseState state) =>
        WaitUntilAsync(
            client,
            instanceId,
            m => m.SerializedCustomStatus is not null && m.ReadCustomStatusAs<DatabaseStatus>()?.State == state,
            $"database state {state}");

    /// <summary>Records every alert the wave raises.</summary>
    internal sealed class RecordingAlertSink : IAlertSink
    {
        readonly ConcurrentQueue<MigrationAlert> received = new();

        public IReadOnlyList<MigrationAlert> Received => [.. this.received];

        public Task SendAsync(MigrationAlert alert, Uri? webhook, CancellationToken cancellationToken = default)
        {
            this.received.Enqueue(alert);
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// A temporary folder with two small SQLite sources (<c>orders</c> depends on <c>customers</c>), their target paths,
    /// a connection registry file, and a wave manifest written as JSON and read back with <see cref="WaveManifestReader"/>.
    /// </summary>
    internal sealed class MigrationWorkspace : IDisposable
    {
        /// <summary>The databases in manifest order.</summary>
        public static readonly string[] Databases = ["customers", "orders"];

        /// <summary>Rows per table of each source.</summary>
        public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> RowCounts =
            new Dictionary<string, IReadOnlyDictionary<string, long>>
            {
                ["customers"] = new Dictionary<string, long> { ["regions"] = 3, ["customers"] = 7 },
                ["orders"] = new Dictionary<string, long> { ["orders"] = 9, ["order_lines"] = 14, ["carriers"] = 2 },
            };

        readonly string root = Path.Combine(Path.GetTempPath(), "dmig-conformance-migration", Guid.NewGuid().ToString("N")[..12]);

        public MigrationWorkspace()
        {
            Directory.CreateDirectory(Path.Combine(this.root, "sources"));
            Directory.CreateDirectory(Path.Combine(this.root, "targets"));
            foreach (string database in Databases)
            {
                this.CreateSource(database);
            }

            this.Registry = new LocalConnectionRegistry(Path.Combine(this.root, "registry.db"));
        }

        public RecordingAlertSink Alerts { get; } = new();

        /// <summary>The registry the activities write; the test reads the same file.</summary>
        public LocalConnectionRegistry Registry { get; }

        public string SourcePath(string database) => Path.Combine(this.root, "sources", database + ".db");

        public string TargetPath(string database) => Path.Combine(this.root, "targets", database + ".db");

        public string SourceConnection(string database) => $"Data Source={this.SourcePath(database)}";

        public string TargetConnection(string database) => $"Data Source={this.TargetPath(database)}";

        /// <summary>The ports the migration activities take, wired as <c>DmigHost</c> wires them (alerts recorded instead of logged).</summary>
        public void AddServices(IServiceCollection services)
        {
            services.AddSingleton<IDatabaseProvider, SqliteDatabaseProvider>();
            services.AddSingleton<IDatabaseProviderCatalog, DatabaseProviderCatalog>();
            services.AddSingleton<IConnectionResolver, ConnectionResolver>();
            services.AddSingleton<IConnectionRegistry>(this.Registry);
            services.AddSingleton<IMigrationProgressStore, InMemoryMigrationProgressStore>();
            services.AddSingleton<IAlertSink>(this.Alerts);
            services.AddSingleton<IWorkerShutdown, NoWorkerShutdown>();
        }

        /// <summary>Writes the wave's manifest (no maintenance window, no alert thresholds) and reads it back as <c>dmig run</c> does.</summary>
        public WaveManifest ReadManifest(string onFailure, string approval = "auto")
        {
            string wave = $"wave-{Guid.NewGuid():N}"[..17];
            object Database(string name, params string[] dependsOn) => new
            {
                name,
                source = new { engine = "sqlite", connection = this.SourceConnection(name) },
                target = new { engine = "sqlite", connection = this.TargetConnection(name) },
                dependsOn,
            };
            var manifest = new
            {
                wave,
                mode = "offline",
                maxParallel = 2,
                onFailure,
                cutover = new { approval },
                databases = new[] { Database("customers"), Database("orders", "customers") },
            };
            string path = Path.Combine(this.root, wave + ".json");
            File.WriteAllText(path, JsonSerializer.Serialize(manifest));
            return WaveManifestReader.Parse(File.ReadAllText(path), path);
        }

        /// <summary>Row count of each of <paramref name="tables"/> in the database at <paramref name="path"/>.</summary>
        public static async Task<Dictionary<string, long>> CountRowsAsync(string path, IEnumerable<string> tables)
        {
            await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
            await connection.OpenAsync();
            var counts = new Dictionary<string, long>();
            foreach (string table in tables)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT COUNT(*) FROM \"{table}\"";
                counts[table] = (long)(await command.ExecuteScalarAsync())!;
            }

            return counts;
        }

        /// <summary>Every row of every source table, as text: equal snapshots mean untouched sources.</summary>
        public async Task<string> SnapshotSourcesAsync()
        {
            var lines = new List<string>();
            foreach (string database in Databases)
            {
                await using var connection = new SqliteConnection($"Data Source={this.SourcePath(database)};Mode=ReadOnly;Pooling=False");
                await connection.OpenAsync();
                foreach (string table in RowCounts[database].Keys.Order(StringComparer.Ordinal))
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = $"SELECT * FROM \"{table}\" ORDER BY rowid";
                    await using var reader = await command.ExecuteReaderAsync();
                    while (await reader.ReadAsync())
                    {
                        var values = Enumerable.Range(0, reader.FieldCount)
                            .Select(i => reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture));
                        lines.Add($"{database}.{table}: {string.Join('|', values)}");
                    }
                }
            }

            return string.Join('\n', lines);
        }

        /// <summary>Tries a write to the source's first table and undoes it; null when it worked, else the error.</summary>
        public async Task<string?> TryWriteSourceAsync(string database)
        {
            await using var connection = new SqliteConnection($"{this.SourceConnection(database)};Pooling=False");
            await connection.OpenAsync();
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = database == "customers"
                ? "INSERT INTO regions (name) VALUES ('probe')"
                : "INSERT INTO carriers (name) VALUES ('probe')";
            try
            {
                await command.ExecuteNonQueryAsync();
                return null;
            }
            catch (SqliteException e)
            {
                return e.Message;
            }
            finally
            {
                await transaction.RollbackAsync();
            }
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(this.root, recursive: true);
            }
            catch (IOException)
            {
                // A file still open elsewhere: the system cleans the temporary folder later.
            }
        }

        void CreateSource(string database)
        {
            using var connection = new SqliteConnection($"{this.SourceConnection(database)};Pooling=False");
            connection.Open();
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = database == "customers"
                ? """
                  CREATE TABLE regions (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
                  CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, region_id INTEGER REFERENCES regions (id), balance REAL);
                  CREATE INDEX ix_customers_region ON customers (region_id);
                  INSERT INTO regions (name) VALUES ('north'), ('south'), ('west');
                  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 7)
                  INSERT INTO customers (name, region_id, balance) SELECT 'customer ' || i, 1 + i % 3, i * 10.5 FROM n;
                  """
                : """
                  CREATE TABLE carriers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
                  CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, carrier_id INTEGER REFERENCES carriers (id), note TEXT);
                  CREATE TABLE order_lines (order_id INTEGER NOT NULL REFERENCES orders (id), line INTEGER NOT NULL, sku TEXT, quantity INTEGER, PRIMARY KEY (order_id, line));
                  INSERT INTO carriers (name) VALUES ('post'), ('courier');
                  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9)
                  INSERT INTO orders (customer_id, carrier_id, note) SELECT 1 + i % 7, 1 + i % 2, CASE WHEN i % 3 = 0 THEN NULL ELSE 'note ' || i END FROM n;
                  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 14)
                  INSERT INTO order_lines (order_id, line, sku, quantity) SELECT 1 + i % 9, i, 'sku-' || i, i * 2 FROM n;
                  """;
            command.ExecuteNonQuery();
            transaction.Commit();
        }
    }
}
