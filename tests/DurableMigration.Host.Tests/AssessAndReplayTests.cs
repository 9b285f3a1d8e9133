using DurableMigration.Host.Commands;
using DurableMigration.Host.Hosting;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Host.Tests;

/// <summary>dmig assess, and the wave orchestrations replayed from history on every turn.</summary>
public sealed class AssessAndReplayTests
{
    [Fact]
    public async Task Assess_OfAHealthyWave_ReportsNothingBlocking()
    {
        using var workspace = new WaveWorkspace();

        var (exit, output) = await workspace.DmigAsync("assess", workspace.WriteManifest("check"));

        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.Contains("Nothing blocks this wave", output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(workspace.TargetDirectory)); // assessment touches nothing
    }

    [Fact]
    public async Task Assess_WithAMissingSource_ReportsItAsBlocking()
    {
        using var workspace = new WaveWorkspace();
        File.Delete(workspace.SourcePath("beta"));

        var (exit, output) = await workspace.DmigAsync("assess", workspace.WriteManifest("check"));

        Assert.Equal(DmigCommandLine.NotCompleted, exit);
        Assert.Contains("blocking", output, StringComparison.Ordinal);
        Assert.Contains("Blocked", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("beta:postValidate")]
    public async Task Waves_ReplayedFromHistoryOnEveryTurn_EndAsWithTheCache(string? drill)
    {
        // With no cached executors every turn replays the whole history: any non-determinism in the
        // orchestrations fails the wave with a NonDeterministicOrchestrationException.
        using var workspace = new WaveWorkspace();
        var manifest = WaveManifestReader.Parse(await File.ReadAllTextAsync(workspace.WriteManifest("replayed")), "replayed.json");
        DrillSpec? spec = drill is null ? null : new DrillSpec(drill.Split(':')[0], Enum.Parse<MigrationStep>(drill.Split(':')[1], ignoreCase: true));
        await using var host = DmigHost.Create(workspace.DataDirectory, engine: o => o.MaxCachedOrchestrations = 0);
        await host.StartEngineAsync();

        await host.Client.ScheduleNewOrchestrationInstanceAsync(MigrationNames.WaveOrchestration, new WaveInput(manifest, spec), new StartOrchestrationOptions("replayed"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var instance = await host.Client.WaitForInstanceCompletionAsync("replayed", getInputsAndOutputs: true, timeout.Token);

        Assert.True(instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed, instance.FailureDetails?.ToString());
        var result = instance.ReadOutputAs<WaveResult>()!;
        Assert.Equal(drill is null ? WaveOutcome.Completed : WaveOutcome.RolledBack, result.Outcome);
    }
}
