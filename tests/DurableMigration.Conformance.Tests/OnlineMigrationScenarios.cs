using System.Collections.Concurrent;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using DurableMigration.Providers;
using DurableMigration.Providers.Sqlite;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static DurableMigration.Conformance.Tests.MigrationScenarios;

namespace DurableMigration.Conformance.Tests;

/// <summary>
/// The online path of <see cref="DatabaseMigrationOrchestration"/> (sync until the lag and the approval allow cutover,
/// continuing as new to keep the history short) on real SQLite files, with a provider whose replication lag follows a
/// script. The PostgreSQL provider's real replication is tested against live clusters in the provider and host tests;
/// here the subject is the orchestration's bookkeeping across executions.
/// </summary>
public sealed class OnlineMigrationScenarios : ConformanceScenario
{
    static readonly TimeSpan MonitorInterval = TimeSpan.FromMilliseconds(20);

    [Theory]
    [MemberData(nameof(Runtimes.AllExcept), Runtimes.InProc, MemberType = typeof(Runtimes))]
    [SkipOnRuntime(Runtimes.InProc, "Microsoft's in-process runtime does not carry unprocessed events across ContinueAsNew")]
    public async Task OnlineWave_WhileTheLagIsHigh_SyncsAcrossExecutionsThenCutsOverWithEverythingItRegistered(string runtime)
    {
        using var workspace = new MigrationWorkspace();
        WaveManifest manifest = workspace.ReadManifest(onFailure: "rollbackWave") with { Mode = MigrationMode.Online };
        var provider = new ScriptedOnlineProvider(pollsBehind: 7);
        await using var host = await StartAsync(runtime, r => r.AddMigration(), services => Use(services, workspace, provider));

        var input = new WaveInput(manifest, MonitorInterval: MonitorInterval) { SyncPollsPerExecution = 2 };
        OrchestrationMetadata wave = await RunAsync(host.Client, MigrationNames.WaveOrchestration, input, manifest.Wave);

        WaveResult result = wave.ReadOutputAs<WaveResult>()!;
        Assert.Equal(WaveOutcome.Completed, result.Outcome);
        foreach (string database in MigrationWorkspace.Databases)
        {
            DatabaseMigrationResult db = Db(result, database);
            Assert.Equal(DatabaseState.Completed, db.State);
            // Lag over maxLagSeconds for 7 polls, 2 polls per execution: the database continued as new at least 3 times,
            // and still remembers what the first execution did.
            Assert.True(provider.Polls(database) >= 8, $"{database}: {provider.Polls(database)} polls");
            Assert.Equal([Compensation.DropTarget, Compensation.MakeSourceWritable, Compensation.SwitchConsumersBack], db.Registered);
            Assert.Equal(MigrationWorkspace.RowCounts[database].Values.Sum(), db.Rows);
            Assert.Equal([MigrationStep.Migrate, MigrationStep.Cutover, MigrationStep.PostValidate, MigrationStep.Remediate], db.Steps.Select(s => s.Step));
            Assert.True(db.Validation!.Passed);
            Assert.NotNull(db.FinalSync);
            Assert.Equal(1, provider.Started(database));
        }
    }

    [Theory]
    [MemberData(nameof(Runtimes.AllExcept), Runtimes.InProc, MemberType = typeof(Runtimes))]
    [SkipOnRuntime(Runtimes.InProc, "Microsoft's in-process runtime does not carry unprocessed events across ContinueAsNew")]
    public async Task OnlineWave_WithManualApproval_KeepsPublishingTheLagAndCutsOverOnceApproved(string runtime)
    {
        using var workspace = new MigrationWorkspace();
        WaveManifest manifest = workspace.ReadManifest(onFailure: "rollbackWave", approval: "manual") with { Mode = MigrationMode.Online };
        var provider = new ScriptedOnlineProvider(pollsBehind: 0);
        await using var host = await StartAsync(runtime, r => r.AddMigration(), services => Use(services, workspace, provider));
        var input = new WaveInput(manifest, MonitorInterval: MonitorInterval) { SyncPollsPerExecution = 3 };
        await host.Client.ScheduleNewOrchestrationInstanceAsync(MigrationNames.WaveOrchestration, input, new StartOrchestrationOptions(manifest.Wave));

        string customersId = MigrationNames.DatabaseInstanceId(manifest.Wave, "customers");
        OrchestrationMetadata waiting = await WaitForDatabaseStateAsync(host.Client, customersId, DatabaseState.AwaitingApproval);
        // The approval gate keeps polling: several executions pass while it waits, each publishing the lag.
        await WaitUntilAsync(host.Client, customersId, _ => provider.Polls("customers") >= 10, "ten replication polls while awaiting approval");
        // A read right as the database continues as new finds the next execution before its first status: read a published one.
        DatabaseStatus status = (await WaitUntilAsync(host.Client, customersId, m => m.SerializedCustomStatus is not null, "a published status")).ReadCustomStatusAs<DatabaseStatus>()!;
        Assert.Equal(DatabaseState.AwaitingApproval, status.State);
        Assert.Equal("streaming", status.Replication?.State);
        Assert.Contains($"dmig approve {manifest.Wave} customers", status.Message, StringComparison.Ordinal);
        Assert.Contains("lag 0.5 s", status.Message, StringComparison.Ordinal);

        await host.Client.RaiseEventAsync(customersId, MigrationNames.ApproveCutoverEvent, "operator");
        string ordersId = MigrationNames.DatabaseInstanceId(manifest.Wave, "orders");
        await WaitForDatabaseStateAsync(host.Client, ordersId, DatabaseState.AwaitingApproval);
        await host.Client.RaiseEventAsync(ordersId, MigrationNames.ApproveCutoverEvent, "operator");
        OrchestrationMetadata wave = await WaitForCompletionAsync(host.Client, manifest.Wave);

        WaveResult result = wave.ReadOutputAs<WaveResult>()!;
        Assert.Equal(WaveOutcome.Completed, result.Outcome);
        Assert.All(result.Databases, d => Assert.Equal([Compensation.DropTarget, Compensation.MakeSourceWritable, Compensation.SwitchConsumersBack], d.Registered));
        Assert.NotNull(waiting);
    }

    [Theory]
    [MemberData(nameof(Runtimes.AllExcept), Runtimes.InProc, MemberType = typeof(Runtimes))]
    [SkipOnRuntime(Runtimes.InProc, "Microsoft's in-process runtime does not carry unprocessed events across ContinueAsNew")]
    public async Task OnlineWave_RolledBackWhileSyncing_DropsTheTargetItRegisteredInAnEarlierExecution(string runtime)
    {
        using var workspace = new MigrationWorkspace();
        WaveManifest manifest = workspace.ReadManifest(onFailure: "rollbackWave") with { Mode = MigrationMode.Online };
        var provider = new ScriptedOnlineProvider(pollsBehind: int.MaxValue);
        await using var host = await StartAsync(runtime, r => r.AddMigration(), services => Use(services, workspace, provider));
        var input = new WaveInput(manifest, MonitorInterval: MonitorInterval) { SyncPollsPerExecution = 2 };
        await host.Client.ScheduleNewOrchestrationInstanceAsync(MigrationNames.WaveOrchestration, input, new StartOrchestrationOptions(manifest.Wave));

        string customersId = MigrationNames.DatabaseInstanceId(manifest.Wave, "customers");
        await WaitUntilAsync(host.Client, customersId, _ => provider.Polls("customers") >= 5, "five replication polls");
        OrchestrationMetadata syncing = (await host.Client.GetInstanceAsync(customersId, getInputsAndOutputs: true))!;
        Assert.Equal(DatabaseState.Syncing, syncing.ReadCustomStatusAs<DatabaseStatus>()!.State);
        await host.Client.RaiseEventAsync(manifest.Wave, MigrationNames.RollbackEvent, "cli");
        await host.Client.RaiseEventAsync(customersId, MigrationNames.RollbackEvent, "cli");
        OrchestrationMetadata wave = await WaitForCompletionAsync(host.Client, manifest.Wave);

        WaveResult result = wave.ReadOutputAs<WaveResult>()!;
        Assert.Equal(WaveOutcome.RolledBack, result.Outcome);
        DatabaseMigrationResult customers = Db(result, "customers");
        Assert.Equal(DatabaseState.RolledBack, customers.State);
        Assert.Equal([Compensation.DropTarget], customers.CompensationsRun.Select(c => c.Compensation));
        Assert.False(File.Exists(workspace.TargetPath("customers")));
    }

    internal static void Use(IServiceCollection services, MigrationWorkspace workspace, ScriptedOnlineProvider provider)
    {
        workspace.AddServices(services);
        services.RemoveAll<IDatabaseProvider>();
        services.AddSingleton<IDatabaseProvider>(provider);
    }

    /// <summary>
    /// The SQLite provider, plus online members: the "replication" starts with the copy, its lag stays over the
    /// manifest's <c>maxLagSeconds</c> (5 s) for the first <c>pollsBehind</c> polls of each database and is 0.5 s after,
    /// and the final sync is SQLite's change sync.
    /// </summary>
    internal sealed class ScriptedOnlineProvider(int pollsBehind) : IDatabaseProvider
    {
        readonly SqliteDatabaseProvider inner = new();
        readonly ConcurrentDictionary<string, int> polls = new();
        readonly ConcurrentDictionary<string, int> started = new();

        public string Engine => inner.Engine;

        public bool SupportsOnline => true;

        public bool SupportsChangeSync => true;

        public int Polls(string database) => polls.GetValueOrDefault(database);

        public int Started(string database) => started.GetValueOrDefault(database);

        public Task<AssessmentReport> AssessAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => inner.AssessAsync(endpoints, cancellationToken);

        public Task<SchemaCopyResult> CopySchemaAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => inner.CopySchemaAsync(endpoints, cancellationToken);

        public Task<DataCopyResult> CopyDataAsync(MigrationEndpoints endpoints, IProgress<CopyProgress> progress, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("An online wave must start replication, not copy once.");

        public Task<DataCopyResult> StartReplicationAsync(MigrationEndpoints endpoints, IProgress<CopyProgress> progress, CancellationToken cancellationToken = default)
        {
            Assert.Equal(MigrationMode.Online, endpoints.Mode);
            started.AddOrUpdate(endpoints.Database, 1, (_, n) => n + 1);
            return inner.CopyDataAsync(endpoints, progress, cancellationToken);
        }

        public Task<ReplicationStatus> GetReplicationStatusAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
        {
            int poll = polls.AddOrUpdate(endpoints.Database, 1, (_, n) => n + 1);
            return Task.FromResult(poll <= pollsBehind
                ? new ReplicationStatus("catching up", 1_000_000, 30, 3)
                : new ReplicationStatus("streaming", 120, 0.5, 3));
        }

        public Task<ChangeSyncResult> SyncChangesAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => inner.SyncChangesAsync(endpoints, cancellationToken);

        public Task MakeSourceReadOnlyAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => inner.MakeSourceReadOnlyAsync(endpoints, cancellationToken);

        public Task<ValidationReport> ValidateAsync(MigrationEndpoints endpoints, ValidationOptions options, CancellationToken cancellationToken = default) => inner.ValidateAsync(endpoints, options, cancellationToken);

        public Task DropTargetAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => inner.DropTargetAsync(endpoints, cancellationToken);

        public Task MakeSourceWritableAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => inner.MakeSourceWritableAsync(endpoints, cancellationToken);
    }
}
