using DurableMigration.Conformance.Tests.Hosting;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using DurableMigration.Monitoring;
using DurableMigration.Providers;
using DurableMigration.Providers.DependencyInjection;
using DurableMigration.Providers.Monitoring;
using DurableMigration.Providers.Sqlite;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static DurableMigration.Conformance.Tests.MigrationScenarios;

namespace DurableMigration.Conformance.Tests;

/// <summary>
/// The migration records the orchestrations log through the replay-safe logger (<see cref="MigrationRecorder"/>), on every
/// runtime: Microsoft's in-process runtime replays the whole history on each turn, so a record logged during replay
/// would show up more than once.
/// </summary>
public sealed class RecordScenarios : ConformanceScenario
{
    static readonly TimeSpan MonitorInterval = TimeSpan.FromMilliseconds(20);

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task AWave_RecordsEachStepTransitionOnce_DespiteReplays(string runtime)
    {
        using var workspace = new MigrationWorkspace();
        using var records = new RecordFile();
        WaveManifest manifest = workspace.ReadManifest(onFailure: "rollbackWave");
        await using IConformanceHost host = await StartAsync(runtime, r => r.AddMigration(), services =>
        {
            workspace.AddServices(services);
            services.AddJsonLinesRecords(records.Path);
        });

        OrchestrationMetadata wave = await RunAsync(host.Client, MigrationNames.WaveOrchestration, new WaveInput(manifest, MonitorInterval: MonitorInterval), manifest.Wave);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, wave.RuntimeStatus);
        IReadOnlyList<MigrationRecord> all = records.Read();
        Assert.All(all, r => Assert.Equal(manifest.Wave, r.Wave));
        var steps = all.Where(r => r.Kind == MigrationRecordKinds.Step).ToList();
        string[] expected = [.. from database in MigrationWorkspace.Databases
                               from step in new[] { "validate", "migrate", "cutover", "postValidate", "remediate" }
                               from status in new[] { "Started", "Succeeded" }
                               select $"{database} {step} {status}"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), steps.Select(r => $"{r.Database} {r.Step} {r.Status}").Order(StringComparer.Ordinal));
        Assert.Equal(["Started", "Completed"], all.Where(r => r.Kind == MigrationRecordKinds.Wave).Select(r => r.Status));
        Assert.All(steps.Where(r => r.Status == "Succeeded"), r => Assert.True(r.DurationMs >= 0, $"{r.Database} {r.Step}: {r.DurationMs} ms"));
        foreach (string database in MigrationWorkspace.Databases)
        {
            MigrationRecord migrated = steps.Single(r => r.Database == database && r.Step == "migrate" && r.Status == "Succeeded");
            Assert.Equal(MigrationWorkspace.RowCounts[database].Values.Sum(), migrated.Rows);
            Assert.NotNull(migrated.Bytes);
        }

        // Stamped with the orchestrations' clocks: everything between the wave's start and its end.
        DateTimeOffset started = all.Single(r => r.Kind == MigrationRecordKinds.Wave && r.Status == "Started").TimeGenerated;
        DateTimeOffset completed = all.Single(r => r.Kind == MigrationRecordKinds.Wave && r.Status == "Completed").TimeGenerated;
        Assert.All(all, r => Assert.InRange(r.TimeGenerated, started, completed));
        Assert.DoesNotContain(all, r => r.Error is not null || r.Ticket is not null);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task AnOnlineWave_RecordsEachReplicationPollAsAProgressSample_AndTheTicket(string runtime)
    {
        using var workspace = new MigrationWorkspace();
        using var records = new RecordFile();
        WaveManifest manifest = workspace.ReadManifest(onFailure: "rollbackWave") with { Mode = MigrationMode.Online };
        var provider = new OnlineMigrationScenarios.ScriptedOnlineProvider(pollsBehind: 3);
        await using IConformanceHost host = await StartAsync(runtime, r => r.AddMigration(), services =>
        {
            OnlineMigrationScenarios.Use(services, workspace, provider);
            services.AddJsonLinesRecords(records.Path);
        });

        var input = new WaveInput(manifest, MonitorInterval: MonitorInterval, Ticket: new TicketReference("CHG0030001", "servicenow"));
        OrchestrationMetadata wave = await RunAsync(host.Client, MigrationNames.WaveOrchestration, input, manifest.Wave);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, wave.RuntimeStatus);
        IReadOnlyList<MigrationRecord> all = records.Read();
        Assert.All(all, r => Assert.Equal("CHG0030001", r.Ticket));
        foreach (string database in MigrationWorkspace.Databases)
        {
            // Replication polls carry the lag; a copy that outlasts the monitor interval adds samples with rows instead.
            var samples = all.Where(r => r.Kind == MigrationRecordKinds.Progress && r.Database == database && r.LagSeconds is not null).ToList();
            Assert.Equal(provider.Polls(database), samples.Count);
            Assert.Equal([30, 30, 30, 0.5], samples.Select(s => s.LagSeconds!.Value));
            Assert.Equal([1_000_000, 1_000_000, 1_000_000, 120], samples.Select(s => s.Bytes!.Value));
            Assert.All(samples, s => Assert.Equal("monitor", s.Step));
        }
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task ACopyThatOutlastsTheMonitorInterval_RecordsEachProgressPoll_WithRowsAndBytes(string runtime)
    {
        using var workspace = new MigrationWorkspace();
        using var records = new RecordFile();
        WaveManifest manifest = workspace.ReadManifest(onFailure: "rollbackWave");
        var provider = new HeldCopyProvider();
        await using IConformanceHost host = await StartAsync(runtime, r => r.AddMigration(), services =>
        {
            workspace.AddServices(services);
            services.RemoveAll<IDatabaseProvider>();
            services.AddSingleton<IDatabaseProvider>(provider);
            services.AddJsonLinesRecords(records.Path);
        });

        await host.Client.ScheduleNewOrchestrationInstanceAsync(
            MigrationNames.WaveOrchestration, new WaveInput(manifest, MonitorInterval: MonitorInterval), new StartOrchestrationOptions(manifest.Wave));
        // The copies wait until the monitor has polled customers' progress twice (read back from the records), then go on.
        using (var timeout = new CancellationTokenSource(Timeout)) // guards against a hang; no timing is asserted
        {
            while (records.Read().Count(r => r.Kind == MigrationRecordKinds.Progress && r.Database == "customers") < 2)
            {
                await Task.Delay(20, timeout.Token);
            }
        }

        provider.Release();
        OrchestrationMetadata wave = await WaitForCompletionAsync(host.Client, manifest.Wave);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, wave.RuntimeStatus);
        var samples = records.Read().Where(r => r.Kind == MigrationRecordKinds.Progress && r.Database == "customers").ToList();
        Assert.True(samples.Count >= 2, $"{samples.Count} samples");
        // The two polls before the release saw the held progress; a later poll may see the copy going on after it.
        Assert.All(samples.Take(2), s => Assert.Equal(("monitor", "Running", 5L, 100L, (double?)null), (s.Step, s.Status, s.Rows!.Value, s.Bytes!.Value, s.LagSeconds)));
    }

    /// <summary>The SQLite provider, whose copies report some progress, then wait for <see cref="Release"/>.</summary>
    internal sealed class HeldCopyProvider : IDatabaseProvider
    {
        readonly SqliteDatabaseProvider inner = new();
        readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Engine => inner.Engine;

        public bool SupportsOnline => false;

        public bool SupportsChangeSync => inner.SupportsChangeSync;

        public void Release() => this.released.TrySetResult();

        public async Task<DataCopyResult> CopyDataAsync(MigrationEndpoints endpoints, IProgress<CopyProgress> progress, CancellationToken cancellationToken = default)
        {
            progress.Report(new CopyProgress("customers", 5, 10, 100));
            await this.released.Task.WaitAsync(cancellationToken);
            return await inner.CopyDataAsync(endpoints, progress, cancellationToken);
        }

        public Task<AssessmentReport> AssessAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => inner.AssessAsync(endpoints, cancellationToken);

        public Task<SchemaCopyResult> CopySchemaAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => inner.CopySchemaAsync(endpoints, cancellationToken);

        public Task<ChangeSyncResult> SyncChangesAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => inner.SyncChangesAsync(endpoints, cancellationToken);

        public Task MakeSourceReadOnlyAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => inner.MakeSourceReadOnlyAsync(endpoints, cancellationToken);

        public Task<ValidationReport> ValidateAsync(MigrationEndpoints endpoints, ValidationOptions options, CancellationToken cancellationToken = default) => inner.ValidateAsync(endpoints, options, cancellationToken);

        public Task DropTargetAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => inner.DropTargetAsync(endpoints, cancellationToken);

        public Task MakeSourceWritableAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => inner.MakeSourceWritableAsync(endpoints, cancellationToken);
    }

    /// <summary>A JSON-lines file of records in the temporary folder, deleted afterwards.</summary>
    internal sealed class RecordFile : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dmig-conformance-records", Guid.NewGuid().ToString("N")[..12] + ".jsonl");

        public IReadOnlyList<MigrationRecord> Read() =>
            File.Exists(this.Path) ? [.. File.ReadAllLines(this.Path).Where(l => l.EndsWith('}')).Select(MigrationRecordJson.Deserialize)] : [];

        public void Dispose()
        {
            if (File.Exists(this.Path))
            {
                File.Delete(this.Path);
            }
        }
    }
}
