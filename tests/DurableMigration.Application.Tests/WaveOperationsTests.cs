using DurableMigration.Host.Tests;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Application.Tests;

/// <summary><see cref="WaveOperations"/> against the embedded runtime's client on a real SQLite task hub and real SQLite databases.</summary>
public sealed class WaveOperationsTests : EmbeddedHostTest
{
    private WaveOperations Operations => new(Host.Client);

    [Fact]
    public async Task StartAsync_InvalidManifest_ReturnsEveryErrorAndStartsNothing()
    {
        var result = await Operations.StartAsync("""{"wave": "w", "databases": [{"name": "a"}, {"name": "b"}]}""", "w.json");

        Assert.Equal(StartOutcome.InvalidManifest, result.Outcome);
        Assert.Equal(RefusalKind.BadInput, result.Refusal!.Kind);
        Assert.Equal(400, result.Refusal.StatusCode);
        Assert.Equal(4, result.Refusal.Errors.Count);
        Assert.Null(await Host.Client.GetInstanceAsync("w"));
    }

    [Fact]
    public async Task StartAsync_SameIdTwice_SecondSaysAlreadyRunning_AndAChangedManifestListsItsDifferences()
    {
        var manifest = Manifest("w1");

        var first = await Operations.StartAsync(manifest, "w1.json");
        var second = await Operations.StartAsync(manifest, "w1.json");
        var changed = await Operations.StartAsync(manifest with { MaxParallel = 1 }, "w1.json");

        Assert.Equal(StartOutcome.Started, first.Outcome);
        Assert.Null(first.Refusal);
        Assert.Equal(StartOutcome.AlreadyRunning, second.Outcome);
        Assert.Equal(409, second.Refusal!.StatusCode);
        Assert.Equal(StartOutcome.ManifestChanged, changed.Outcome);
        Assert.Equal("maxParallel", Assert.Single(changed.Refusal!.Errors).Path);
    }

    [Fact]
    public async Task ApproveAsync_ManualWave_RefusesUnknownsThenApprovesEachWaitingDatabase_ThenSaysFinished()
    {
        await Operations.StartAsync(Manifest("w2", approval: "manual"), "w2.json");
        await Host.StartEngineAsync();

        Assert.Equal(DatabaseRequestOutcome.NoSuchWave, (await Operations.ApproveAsync("nope", null, "test")).Outcome);
        var unknown = await Operations.ApproveAsync("w2", "zeta", "test");
        Assert.Equal(DatabaseRequestOutcome.NoSuchDatabase, unknown.Outcome);
        Assert.Equal(404, unknown.Refusal!.StatusCode);

        var approved = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while ((await Host.Client.GetInstanceAsync("w2", cancellation: timeout.Token))!.IsCompleted is false)
        {
            var result = await Operations.ApproveAsync("w2", null, "test", timeout.Token);
            Assert.True(result.Outcome is DatabaseRequestOutcome.Done or DatabaseRequestOutcome.NotWaiting, result.Refusal?.Detail);
            approved.AddRange(result.Databases);
            // Approve again only once the approved databases have moved on: until then they still show as awaiting approval.
            while (result.Databases.Count > 0 && await WaveView.LoadAsync(Host.Client, "w2", timeout.Token) is { } view
                && result.Databases.Any(d => view.StateOf(d) == DatabaseState.AwaitingApproval))
            {
                await Task.Delay(20, timeout.Token);
            }

            await Task.Delay(50, timeout.Token);
        }

        Assert.Equal(["alpha", "beta", "gamma"], approved.Order().ToList());
        var late = await Operations.ApproveAsync("w2", null, "test");
        Assert.Equal(DatabaseRequestOutcome.WaveFinished, late.Outcome);
        Assert.Equal(RefusalKind.Gone, late.Refusal!.Kind);
        Assert.Equal(DatabaseRequestOutcome.NotWaiting, (await Operations.RetryAsync("w2", "alpha", "test")).Outcome);
    }

    [Fact]
    public async Task RollbackAsync_FinishedWave_StartsTheRollbackInstanceOnce_AndPurgeRemovesEverything()
    {
        await Operations.StartAsync(Manifest("w3"), "w3.json");
        await Host.StartEngineAsync();
        await Host.Client.WaitForInstanceCompletionAsync("w3");

        var rollback = await Operations.RollbackAsync("w3", TargetWrites.Refuse, retry: false, "test");
        Assert.Equal(RollbackOutcome.Started, rollback.Outcome);
        Assert.Equal("w3:rollback", rollback.InstanceId);
        var done = await Host.Client.WaitForInstanceCompletionAsync("w3:rollback", getInputsAndOutputs: true);
        Assert.Equal(WaveOutcome.RolledBack, done.ReadOutputAs<WaveResult>()!.Outcome);

        var again = await Operations.RollbackAsync("w3", TargetWrites.Refuse, retry: false, "test");
        Assert.Equal(RollbackOutcome.AlreadyExists, again.Outcome);
        var retry = await Operations.RollbackAsync("w3", TargetWrites.Refuse, retry: true, "test");
        Assert.Equal("Nothing to retry", retry.Refusal!.Title);

        var report = await Operations.GetWaveAsync("w3", showHistory: true);
        Assert.Equal("w3:rollback", report!.View.Rollback!.Wave.InstanceId);
        Assert.Equal("ExecutionStarted", report.History![0].EventType);

        var purged = await Operations.PurgeAsync("w3");
        Assert.Equal(PurgeOutcome.Purged, purged.Outcome);
        Assert.True(purged.PurgedInstanceCount >= 5);
        Assert.Null(await Operations.GetWaveAsync("w3"));
    }

    [Fact]
    public async Task ControlOperations_RefuseWhatTheWaveStateDoesNotAllow()
    {
        // No engine runs: the wave stays Pending, so every request is only recorded.
        await Operations.StartAsync(Manifest("w4"), "w4.json");

        Assert.Equal(PurgeOutcome.StillRunning, (await Operations.PurgeAsync("w4")).Outcome);
        Assert.Equal(ControlOutcome.NotApplicable, (await Operations.ResumeAsync("w4", "test")).Outcome);
        var suspend = await Operations.SuspendAsync("w4", "test");
        Assert.Equal(ControlOutcome.Requested, suspend.Outcome);
        Assert.Equal(["w4"], suspend.Instances);
        Assert.Equal(ControlOutcome.NoSuchWave, (await Operations.TerminateAsync("nope", "test")).Outcome);

        await Host.StartEngineAsync();
        await Operations.TerminateAsync("w4", "test");
        await Host.Client.WaitForInstanceCompletionAsync("w4");
        var late = await Operations.TerminateAsync("w4", "test");
        Assert.Equal(ControlOutcome.Finished, late.Outcome);
        Assert.Equal(410, late.Refusal!.StatusCode);
        Assert.Equal(ControlOutcome.Finished, (await Operations.SuspendAsync("w4", "test")).Outcome);
    }

    [Fact]
    public async Task ListWavesAsync_PagesOfOne_ListEveryWaveOnceAndNothingElse()
    {
        foreach (string wave in new[] { "p1", "p2", "p3" })
        {
            await Operations.StartAsync(Manifest(wave), wave + ".json");
            // Instances that are not waves (a database orchestration) sit between the waves and must be skipped.
            await Host.Client.ScheduleNewOrchestrationInstanceAsync(MigrationNames.DatabaseMigrationOrchestration, null, new StartOrchestrationOptions(wave + ":alpha"));
        }

        var seen = new List<string>();
        var query = new WaveListQuery(PageSize: 1);
        int pages = 0;
        do
        {
            var page = await Operations.ListWavesAsync(query);
            Assert.True(page.Waves.Count <= 1);
            seen.AddRange(page.Waves.Select(w => w.InstanceId));
            query = query with { ContinuationToken = page.ContinuationToken };
            Assert.True(++pages < 10);
        }
        while (query.ContinuationToken is not null);

        Assert.Equal(["p1", "p2", "p3"], seen);
        Assert.Empty((await Operations.ListWavesAsync(new WaveListQuery([OrchestrationRuntimeStatus.Completed]))).Waves);
        Assert.Equal(3, (await Operations.ListWavesAsync(new WaveListQuery(CreatedFrom: DateTimeOffset.UtcNow.AddMinutes(-5)))).Waves.Count);
    }

    private WaveManifest Manifest(string wave, string approval = "auto") =>
        WaveManifestReader.Parse(File.ReadAllText(Workspace.WriteManifest(
            wave,
            approval: approval,
            targetConnection: db => $"Data Source={Path.Combine(Workspace.TargetDirectory, $"{wave}-{db}.db")}")), wave + ".json");
}
