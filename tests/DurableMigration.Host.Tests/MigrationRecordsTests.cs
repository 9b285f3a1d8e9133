using System.Diagnostics;
using DurableMigration.Engine;
using DurableMigration.Host.Commands;
using DurableMigration.Migration;
using DurableMigration.Monitoring;
using DurableMigration.Providers.DependencyInjection;
using DurableMigration.Providers.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DurableMigration.Host.Tests;

/// <summary>The migration records of real SQLite waves run through <c>dmig</c>: <c>records.jsonl</c> in the data directory, Azure Monitor, OpenTelemetry.</summary>
public sealed class MigrationRecordsTests
{
    private const string SecretMarker = "records-secret-3f9a";

    private static readonly string[] Databases = ["alpha", "beta", "gamma"];

    private static readonly string[] Steps = ["validate", "migrate", "cutover", "postValidate", "remediate"];

    [Fact]
    public async Task AHealthyWave_WritesEachTransitionOnceToRecordsJsonl_WithDurationsRowsAndNoConnectionString()
    {
        using var workspace = new WaveWorkspace(SecretMarker);

        var (exit, output) = await workspace.DmigAsync("run", workspace.WriteManifest("recorded"));

        Assert.True(exit == DmigCommandLine.Success, output);
        var records = Read(workspace);
        AssertOneRecordPerTransition(records);
        Assert.All(records, r => Assert.Equal("recorded", r.Wave));
        Assert.Equal(["Started", "Completed"], records.Where(r => r.Kind == MigrationRecordKinds.Wave).Select(r => r.Status));
        Assert.All(records.Where(r => r.Kind == MigrationRecordKinds.Step && r.Status != "Started"), r => Assert.True(r.DurationMs >= 0, $"{r.Database} {r.Step}"));
        Assert.All(Databases, d => Assert.Equal(WaveWorkspace.RowsPerTable * 2, records.Single(r => r.Database == d && r.Step == "migrate" && r.Status == "Succeeded").Rows));
        string text = await File.ReadAllTextAsync(RecordsPath(workspace));
        Assert.DoesNotContain(SecretMarker, text, StringComparison.Ordinal);
        Assert.DoesNotContain("Data Source", text, StringComparison.OrdinalIgnoreCase);
        // The records have their own file: the log keeps the engine's and the providers' lines.
        Assert.All(Directory.GetFiles(Path.Combine(workspace.DataDirectory, "logs")), log => Assert.DoesNotContain(MigrationRecorder.Category, File.ReadAllText(log), StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithoutAnOrchestrationCache_EveryTurnReplays_AndEachTransitionIsStillRecordedOnce()
    {
        using var workspace = new WaveWorkspace();

        var (exit, output) = await workspace.DmigAsync(
            services => ((DurableEngineOptions)services.Single(d => d.ServiceType == typeof(DurableEngineOptions)).ImplementationInstance!).MaxCachedOrchestrations = 0,
            "run",
            workspace.WriteManifest("replayed"));

        Assert.True(exit == DmigCommandLine.Success, output);
        AssertOneRecordPerTransition(Read(workspace));
    }

    [Fact]
    public async Task ADrill_RecordsTheFailedStep_TheAlert_AndEachCompensationInTheOrderItRan()
    {
        using var workspace = new WaveWorkspace(SecretMarker);

        var (exit, output) = await workspace.DmigAsync("run", workspace.WriteManifest("drilled"), "--drill", "beta:cutover");

        Assert.True(exit == DmigCommandLine.NotCompleted, output);
        var records = Read(workspace);
        var result = await WaveRunTests.ResultAsync(workspace, "drilled");
        MigrationRecord failed = records.Single(r => r.Kind == MigrationRecordKinds.Step && r.Status == "Failed");
        Assert.Equal(("beta", "cutover"), (failed.Database, failed.Step));
        Assert.Contains("Drill", failed.Error, StringComparison.Ordinal);
        Assert.True(failed.DurationMs >= 0);
        MigrationRecord alert = Assert.Single(records, r => r.Kind == MigrationRecordKinds.Alert);
        Assert.Equal(("beta", "error"), (alert.Database, alert.Status));
        Assert.Contains("failed at cutover", alert.Error, StringComparison.Ordinal);
        Assert.True(records.IndexOf(failed) < records.IndexOf(alert));

        // Compensations as they ran: the failed database's first, then the completed one the wave rolled back.
        var compensations = records.Where(r => r.Kind == MigrationRecordKinds.Compensation).ToList();
        var expected = result.Databases.Where(d => d.CompensationsRun.Count > 0)
            .OrderBy(d => d.Database == "beta" ? 0 : 1)
            .SelectMany(d => d.CompensationsRun.Select(c => $"{d.Database} {c.Compensation} Succeeded"));
        Assert.Equal(expected, compensations.Select(c => $"{c.Database} {c.Step} {c.Status}"));
        Assert.Equal(["Started", "RolledBack"], records.Where(r => r.Kind == MigrationRecordKinds.Wave).Select(r => r.Status));
        Assert.DoesNotContain(SecretMarker, await File.ReadAllTextAsync(RecordsPath(workspace)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("migrate", "migrate")]
    [InlineData("monitor", "migrate")]
    [InlineData("cutover", "cutover")]
    [InlineData("postValidate", "postValidate")]
    [InlineData("remediate", "remediate")]
    public async Task ADrillAtAnyStep_EndsEveryStartedStep_TheFailedOneWithTheDrillsError(string drilled, string failedStep)
    {
        using var workspace = new WaveWorkspace();
        string wave = $"ended-{drilled}".ToLowerInvariant();

        var (exit, output) = await workspace.DmigAsync("run", workspace.WriteManifest(wave, onFailure: "rollbackDatabase"), "--drill", $"beta:{drilled}");

        Assert.True(exit == DmigCommandLine.NotCompleted, output);
        var steps = Read(workspace).Where(r => r.Kind == MigrationRecordKinds.Step).ToList();
        Assert.All(steps.Where(r => r.Status == "Started"), started => Assert.Single(steps, r => r.Database == started.Database && r.Step == started.Step && r.Status != "Started"));
        MigrationRecord failed = Assert.Single(steps, r => r.Status == "Failed");
        Assert.Equal(("beta", failedStep), (failed.Database, failed.Step));
        Assert.StartsWith(drilled == failedStep ? "DrillFailureException" : $"{drilled}: DrillFailureException", failed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(steps, r => r.Database == "gamma" && r.Step != "validate"); // it depends on beta: never started
    }

    [Fact]
    public async Task ARollbackOfAFinishedWave_RecordsItsCompensations_DependentsFirst()
    {
        using var workspace = new WaveWorkspace();
        var (runExit, runOutput) = await workspace.DmigAsync("run", workspace.WriteManifest("undone"));
        Assert.True(runExit == DmigCommandLine.Success, runOutput);
        int before = Read(workspace).Count;

        var (exit, output) = await workspace.DmigAsync("rollback", "undone");

        Assert.True(exit == DmigCommandLine.Success, output);
        var records = Read(workspace).Skip(before).ToList();
        Assert.Equal(["Started", "RolledBack"], records.Where(r => r.Kind == MigrationRecordKinds.Wave).Select(r => r.Status));
        Assert.All(records.Where(r => r.Kind == MigrationRecordKinds.Wave), r => Assert.Equal("rollback", r.Step));
        var compensations = records.Where(r => r.Kind == MigrationRecordKinds.Compensation).Select(r => $"{r.Database} {r.Step} {r.Status}").ToList();
        Assert.Equal("gamma", compensations[0].Split(' ')[0]); // it depends on alpha and beta
        string[] undo = [nameof(Compensation.SwitchConsumersBack), nameof(Compensation.MakeSourceWritable), nameof(Compensation.DropTarget)];
        var order = compensations.Select(c => c.Split(' ')[0]).Distinct().ToList();
        Assert.Equal(3, order.Count);
        Assert.Equal(order.SelectMany(d => undo.Select(u => $"{d} {u} Succeeded")), compensations);
    }

    [Fact]
    public async Task WithLogsIngestionConfigured_TheWavesRecordsReachAzureMonitor_AsInTheFile()
    {
        await using LogsIngestionEmulator emulator = await LogsIngestionEmulator.StartAsync();
        using var workspace = new WaveWorkspace(SecretMarker);
        var client = new LogsIngestionClientOptions
        {
            Endpoint = emulator.Endpoint,
            RuleId = emulator.RuleId,
            StreamName = emulator.StreamName,
            Transport = emulator.CreateTransport(),
        };

        var (exit, output) = await workspace.DmigAsync(
            // A loaded CI machine once needed more than the default 10 s to flush at the end: the bound is a hang guard here.
            services => services.AddLogsIngestionRecords(client, LogsIngestionEmulator.Credential, new BufferedLogsIngestionSinkOptions { BatchWindow = TimeSpan.FromMilliseconds(20), FlushTimeout = TimeSpan.FromMinutes(2) }),
            "run",
            workspace.WriteManifest("ingested"),
            "--drill",
            "beta:postValidate");

        Assert.True(exit == DmigCommandLine.NotCompleted, output);
        // Disposing the host at the end of the command flushed the buffer.
        var inFile = Read(workspace).Select(Describe).Order(StringComparer.Ordinal).ToList();
        var delivered = emulator.Records.Select(r => MigrationRecordJson.Deserialize(r.ToJsonString())).Select(Describe).Order(StringComparer.Ordinal).ToList();
        // Seen once in a loaded full run: the last records were in the file but not delivered. Say which, and what the emulator answered.
        Assert.True(
            inFile.SequenceEqual(delivered),
            $"not delivered: {string.Join(" | ", inFile.Except(delivered))}; delivered, not in the file: {string.Join(" | ", delivered.Except(inFile))}; uploads (status:records): {string.Join(", ", emulator.Requests.Select(r => $"{r.Status}:{r.RecordCount}"))}; output: {output}");
        Assert.Contains(delivered, d => d.StartsWith("alert beta", StringComparison.Ordinal));
        Assert.Contains(delivered, d => d.StartsWith("compensation beta DropTarget", StringComparison.Ordinal));
        Assert.All(emulator.Requests, r => Assert.True(r.HadBearerToken));
        Assert.DoesNotContain(emulator.Records, r => r.ToJsonString().Contains(SecretMarker, StringComparison.Ordinal));
    }

    /// <summary>Every database's steps started and succeeded exactly once.</summary>
    private static void AssertOneRecordPerTransition(List<MigrationRecord> records)
    {
        var expected = from database in Databases from step in Steps from status in new[] { "Started", "Succeeded" } select $"{database} {step} {status}";
        Assert.Equal(
            expected.Order(StringComparer.Ordinal),
            records.Where(r => r.Kind == MigrationRecordKinds.Step).Select(r => $"{r.Database} {r.Step} {r.Status}").Order(StringComparer.Ordinal));
        Assert.Equal(2, records.Count(r => r.Kind == MigrationRecordKinds.Wave));
    }

    /// <summary>The last value a metric reached for one wave: the sum of its counters' points, or the count of its histograms' measurements.</summary>
    internal static long Sum(LockedCollection<MetricSnapshot> metrics, string name, string wave)
    {
        MetricSnapshot? last = metrics.Snapshot().LastOrDefault(m => m.Name == name);
        if (last is null)
        {
            return 0;
        }

        long total = 0;
        foreach (MetricPoint point in last.MetricPoints)
        {
            bool ours = false;
            foreach (var tag in point.Tags)
            {
                ours |= tag.Key == MigrationTelemetry.WaveTag && (string?)tag.Value == wave;
            }

            if (ours)
            {
                total += last.MetricType == MetricType.Histogram ? point.GetHistogramCount() : point.GetSumLong();
            }
        }

        return total;
    }

    /// <summary>A collection the exporters may add to from any thread while the test reads it.</summary>
    internal sealed class LockedCollection<T> : System.Collections.ObjectModel.Collection<T>
    {
        private readonly Lock _gate = new();

        public List<T> Snapshot()
        {
            lock (_gate)
            {
                return [.. Items];
            }
        }

        protected override void InsertItem(int index, T item)
        {
            lock (_gate)
            {
                base.InsertItem(index, item);
            }
        }
    }

    private static string Describe(MigrationRecord r) => $"{r.Kind} {r.Database} {r.Step} {r.Status} {r.DurationMs} {r.Rows} {r.Bytes} {r.LagSeconds} {r.Error} {r.TimeGenerated:O}";

    private static string RecordsPath(WaveWorkspace workspace) => Path.Combine(workspace.DataDirectory, "records.jsonl");

    internal static List<MigrationRecord> Read(WaveWorkspace workspace) =>
        [.. File.ReadAllLines(RecordsPath(workspace)).Where(l => l.Length > 0).Select(MigrationRecordJson.Deserialize)];
}

/// <summary>
/// OpenTelemetry's listeners are process-wide and match meters by name: a meter of the same name in another test's host,
/// created first, would take the instrument stream. So this runs alone.
/// </summary>
[Collection(Name)]
public sealed class MigrationTelemetryTests
{
    /// <summary>The collection that runs apart from every other test.</summary>
    public const string Name = "Process-wide telemetry listeners";

    [Fact]
    public async Task OpenTelemetry_GetsASpanPerActivityRun_AndMetricsFromTheRecords()
    {
        using var workspace = new WaveWorkspace();
        // The listeners are process-wide: spans of other tests running meanwhile arrive too, from their threads.
        var spans = new MigrationRecordsTests.LockedCollection<Activity>();
        var metrics = new MigrationRecordsTests.LockedCollection<MetricSnapshot>();

        var (exit, output) = await workspace.DmigAsync(
            services => services.AddOpenTelemetry()
                .WithTracing(t => t.AddSource(MigrationTelemetry.SourceName).AddInMemoryExporter(spans))
                .WithMetrics(m => m.AddMeter(MigrationTelemetry.MeterName).AddInMemoryExporter(metrics)),
            "run",
            workspace.WriteManifest("traced"),
            "--drill",
            "beta:cutover");

        Assert.True(exit == DmigCommandLine.NotCompleted, output);
        List<Activity> ours = [.. spans.Snapshot().Where(s => (string?)s.GetTagItem(MigrationTelemetry.WaveTag) == "traced")];

        // An activity retried under load has a span per run; the last run of the copy succeeded.
        Activity copy = ours.Last(s => s.DisplayName == MigrationActivityNames.CopyData && (string?)s.GetTagItem(MigrationTelemetry.DatabaseTag) == "alpha");
        Assert.Equal("migrate", copy.GetTagItem(MigrationTelemetry.StepTag));
        Assert.Equal(ActivityStatusCode.Unset, copy.Status);
        Activity cutover = Assert.Single(ours, s => s.DisplayName == MigrationActivityNames.Cutover && (string?)s.GetTagItem(MigrationTelemetry.DatabaseTag) == "beta");
        Assert.Equal(ActivityStatusCode.Error, cutover.Status);
        Assert.Contains("Drill", cutover.StatusDescription, StringComparison.Ordinal);
        Assert.Contains(ours, s => s.DisplayName == MigrationActivityNames.DropTarget && (string?)s.GetTagItem(MigrationTelemetry.StepTag) == "rollback");

        var records = MigrationRecordsTests.Read(workspace);
        Assert.Equal(records.Count(r => r.Kind == MigrationRecordKinds.Step && r.DurationMs is not null), MigrationRecordsTests.Sum(metrics, "dmig.step.duration", "traced"));
        Assert.Equal(records.Where(r => r.Step == "migrate" && r.Status == "Succeeded").Sum(r => r.Rows ?? 0), MigrationRecordsTests.Sum(metrics, "dmig.rows.copied", "traced"));
        Assert.Equal(1, MigrationRecordsTests.Sum(metrics, "dmig.alerts", "traced"));
        Assert.Equal(records.Count(r => r.Kind == MigrationRecordKinds.Compensation), MigrationRecordsTests.Sum(metrics, "dmig.compensations", "traced"));
    }
}

/// <summary>Runs <see cref="MigrationTelemetryTests"/> without other tests in parallel.</summary>
[CollectionDefinition(MigrationTelemetryTests.Name, DisableParallelization = true)]
public sealed class MigrationTelemetryCollection;
