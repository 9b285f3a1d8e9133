using System.Diagnostics;
using System.Text.Json;
using DurableMigration.Application;
using DurableMigration.Host.Commands;
using DurableMigration.Host.Console;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;
using DurableMigration.Providers;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Host.Tests;

/// <summary>Which process runs a wave: the engine lock, status and warnings about it, two runs of one wave, and resuming safely.</summary>
public sealed class WaveRunnerTests
{
    [Fact]
    public async Task SecondRun_WhileAnotherProcessRunsTheWave_SaysWhoAndWatchesReadOnly()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("twice", approval: "manual");
        using var first = workspace.Start(null, "run", manifest);
        await WaitAsync(workspace, "twice", v => v.StateOf("alpha") == DatabaseState.AwaitingApproval && v.StateOf("beta") == DatabaseState.AwaitingApproval);

        var status = await workspace.DmigSplitAsync("status", "twice", "-o", "json");
        using (var json = JsonDocument.Parse(status.Stdout))
        {
            var runner = json.RootElement.GetProperty("runner");
            Assert.Equal(Environment.ProcessId, runner.GetProperty("pid").GetInt32());
            Assert.Equal(Environment.MachineName, runner.GetProperty("host").GetString());
            Assert.StartsWith("dmig run ", runner.GetProperty("command").GetString(), StringComparison.Ordinal);
        }

        using var second = workspace.Start(null, "run", manifest);
        await second.WaitForStderrAsync("is being run by process");
        await workspace.DmigAsync("approve", "twice");
        await WaitAsync(workspace, "twice", v => v.StateOf("gamma") == DatabaseState.AwaitingApproval);
        var approve = await workspace.DmigSplitAsync("approve", "twice");

        var firstRun = await first.ResultAsync();
        var secondRun = await second.ResultAsync();
        Assert.True(firstRun.ExitCode == DmigCommandLine.Success, firstRun.ToString());
        Assert.True(secondRun.ExitCode == DmigCommandLine.Success, secondRun.ToString());
        Assert.Contains($"Wave twice is being run by process {Environment.ProcessId} on host {Environment.MachineName} since ", secondRun.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("No process is running", approve.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("being run by", firstRun.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Resuming", secondRun.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InterruptedWave_StatusApproveAndRetry_SayNothingActsUntilItResumes()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("idle", approval: "manual");
        using (var run = workspace.Start(null, "run", manifest))
        {
            await WaitAsync(workspace, "idle", v => v.StateOf("alpha") == DatabaseState.AwaitingApproval && v.StateOf("beta") == DatabaseState.AwaitingApproval);
            await run.Cancellation.CancelAsync();
            Assert.Equal(DmigCommandLine.Interrupted, (await run.ResultAsync()).ExitCode);
        }

        var list = await workspace.DmigSplitAsync("status");
        Assert.Contains("No process is running the unfinished waves", list.Stdout, StringComparison.Ordinal);
        var table = await workspace.DmigSplitAsync("status", "idle");
        Assert.Contains("No process is running this wave; `dmig run <manifest>` resumes it.", table.Stdout, StringComparison.Ordinal);
        var json = await workspace.DmigSplitAsync("status", "idle", "-o", "json");
        using (var document = JsonDocument.Parse(json.Stdout))
        {
            Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("runner").ValueKind);
        }

        var approve = await workspace.DmigSplitAsync("approve", "idle", "alpha");
        Assert.True(approve.ExitCode == DmigCommandLine.Success, approve.ToString());
        Assert.Contains("No process is running wave idle: nothing acts on the approval until `dmig run <manifest>` resumes the wave.", approve.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("No process", approve.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_WhenNoProcessRunsTheWave_WarnsThatNothingActsUntilItResumes()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("stuck", onFailure: "askOperator");
        using (var run = workspace.Start(null, "run", manifest, "--drill", "beta:migrate"))
        {
            await WaitAsync(workspace, "stuck", v => v.StateOf("beta") == DatabaseState.NeedsAttention);
            await run.Cancellation.CancelAsync();
            Assert.Equal(DmigCommandLine.Interrupted, (await run.ResultAsync()).ExitCode);
        }

        var retry = await workspace.DmigSplitAsync("retry", "stuck", "beta");

        Assert.True(retry.ExitCode == DmigCommandLine.Success, retry.ToString());
        Assert.Contains("No process is running wave stuck: nothing acts on the retry until `dmig run <manifest>` resumes the wave.", retry.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadOnlyWatcher_WhenTheRunningProcessStops_TakesOverAndFinishesTheWave()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("handover", approval: "manual");
        using var first = workspace.Start(null, "run", manifest);
        await WaitAsync(workspace, "handover", v => v.StateOf("alpha") == DatabaseState.AwaitingApproval && v.StateOf("beta") == DatabaseState.AwaitingApproval);
        using var second = workspace.Start(null, "run", manifest);
        await second.WaitForStderrAsync("is being run by process");

        await first.Cancellation.CancelAsync();
        Assert.Equal(DmigCommandLine.Interrupted, (await first.ResultAsync()).ExitCode);
        await second.WaitForStderrAsync("this process runs it now");
        await workspace.DmigAsync("approve", "handover");
        await WaitAsync(workspace, "handover", v => v.StateOf("gamma") == DatabaseState.AwaitingApproval);
        var approve = await workspace.DmigSplitAsync("approve", "handover");

        var secondRun = await second.ResultAsync();
        Assert.True(secondRun.ExitCode == DmigCommandLine.Success, secondRun.ToString());
        Assert.DoesNotContain("No process is running", approve.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StaleLockOfADeadProcess_DoesNotBlockTheNextRun()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("stale");
        Directory.CreateDirectory(workspace.DataDirectory);
        using (var gone = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!)
        {
            await gone.WaitForExitAsync();
            var dead = new EngineRunner(gone.Id, Environment.MachineName, DateTimeOffset.UtcNow.AddMinutes(-5), "dmig run stale.json", 1);
            await File.WriteAllTextAsync(Path.Combine(workspace.DataDirectory, EngineLock.RecordFileName), JsonSerializer.Serialize(dead, DmigHost.JsonOptions));
            await File.WriteAllTextAsync(Path.Combine(workspace.DataDirectory, EngineLock.LockFileName), string.Empty);
        }

        var (exit, output) = await workspace.DmigAsync("run", manifest);

        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.DoesNotContain("being run by", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(workspace.DataDirectory, EngineLock.RecordFileName)), "the record goes with the lock");
    }

    [Fact]
    public async Task ChangedManifest_OnResume_IsRefusedWithTheDifferences()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("edited");
        var (exit, output) = await workspace.DmigAsync("run", manifest);
        Assert.True(exit == DmigCommandLine.Success, output);
        string text = await File.ReadAllTextAsync(manifest);
        string moved = Path.Combine(workspace.TargetDirectory, "beta-2.db");
        await File.WriteAllTextAsync(manifest, text
            .Replace("\"maxParallel\": 2", "\"maxParallel\": 3", StringComparison.Ordinal)
            .Replace(JsonEncoded(workspace.TargetPath("beta")), JsonEncoded(moved), StringComparison.Ordinal));

        var table = await workspace.DmigSplitAsync("run", manifest);
        var json = await workspace.DmigSplitAsync("run", manifest, "-o", "json");

        Assert.True(table.ExitCode == DmigCommandLine.BadInput, table.ToString());
        Assert.Contains("maxParallel: 2 → 3", table.Stderr, StringComparison.Ordinal);
        Assert.Contains($"databases[1].target.connection: {JsonSerializer.Serialize("Data Source=" + workspace.TargetPath("beta"))} → {JsonSerializer.Serialize("Data Source=" + moved)}", table.Stderr, StringComparison.Ordinal);
        Assert.Equal(DmigCommandLine.BadInput, json.ExitCode);
        Assert.Equal(string.Empty, json.Stdout);
        using var problem = JsonDocument.Parse(json.Stderr);
        Assert.Equal(2, problem.RootElement.GetProperty("errors").GetArrayLength());
    }

    [Fact]
    public async Task ResumedWave_WithACopyCutShort_SaysTheCopyStartsOver()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("restart");
        using (var run = workspace.Start(
            services => services.AddSingleton<IMigrationProgressStore>(sp => new StallingProgressStore(sp.GetRequiredService<IWorkerShutdown>())),
            "run",
            manifest))
        {
            await WaitAsync(workspace, "restart", v => v.Databases.TryGetValue("alpha", out var alpha) && alpha.Message == "copying data");
            await run.Cancellation.CancelAsync();
            Assert.Equal(DmigCommandLine.Interrupted, (await run.ResultAsync()).ExitCode);
        }

        var resumed = await workspace.DmigSplitAsync("run", manifest);

        Assert.True(resumed.ExitCode == DmigCommandLine.Success, resumed.ToString());
        Assert.Contains("alpha: the interrupted copy starts over from the beginning", resumed.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("gamma: the interrupted copy", resumed.Stderr, StringComparison.Ordinal);
        Assert.Equal(await WaveWorkspace.FingerprintAsync(workspace.SourcePath("alpha")), await WaveWorkspace.FingerprintAsync(workspace.TargetPath("alpha")));
    }

    [Fact]
    public async Task Demo_WithoutPacing_MigratesTheSampleWave()
    {
        using var workspace = new WaveWorkspace();

        var (exit, output) = await workspace.DmigAsync("demo", "--pace", "0");

        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.DoesNotContain("Paced for watching", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_ByDefault_IsPacedSoItsLiveTableCanBeWatchedForSeconds()
    {
        using var workspace = new WaveWorkspace();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var (exit, output) = await workspace.DmigAsync("demo");

        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.Contains("Paced for watching", output, StringComparison.Ordinal);
        // 125,000 rows paused 60 ms per 1,000 rows, two copies at a time: several seconds, whatever the machine's speed.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3), $"the demo took {clock.Elapsed}");
    }

    private static string JsonEncoded(string text) => JsonSerializer.Serialize(text)[1..^1];

    private static async Task WaitAsync(WaveWorkspace workspace, string wave, Func<WaveView, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var host = DmigHost.Create(workspace.DataDirectory);
        while (true)
        {
            var view = await WaveView.LoadAsync(host.Client, wave, timeout.Token);
            if (view is not null && condition(view))
            {
                return;
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>Holds every copy at its first progress report until the engine stops: a copy cut short by Ctrl+C.</summary>
    private sealed class StallingProgressStore(IWorkerShutdown shutdown) : IMigrationProgressStore
    {
        private readonly InMemoryMigrationProgressStore _inner = new();

        public void Report(string waveId, string database, CopyProgress progress)
        {
            _inner.Report(waveId, database, progress);
            shutdown.Token.WaitHandle.WaitOne(TimeSpan.FromMinutes(2));
        }

        public Task<CopyProgress?> GetAsync(string waveId, string database, CancellationToken cancellationToken = default) => _inner.GetAsync(waveId, database, cancellationToken);
    }
}
