using System.Text.Json;
using DurableMigration.Host.Commands;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Host.Tests;

/// <summary>The Durable Functions verbs: list, history, logs, terminate, suspend, resume, purge; and completion of wave ids.</summary>
public sealed class OperatorVerbTests
{
    [Fact]
    public async Task List_FiltersByRuntimeStatusAndCreatedTime()
    {
        using var workspace = new WaveWorkspace();
        await workspace.DmigAsync("run", workspace.WriteManifest("listed"));

        var completed = await workspace.DmigSplitAsync("list", "--status", "Completed", "-o", "json");
        var running = await workspace.DmigSplitAsync("list", "--status", "Running", "--status", "Pending", "-o", "json");
        var recent = await workspace.DmigSplitAsync("list", "--since", "1h", "-o", "json");
        var future = await workspace.DmigSplitAsync("list", "--since", "2099-01-01", "-o", "json");
        var table = await workspace.DmigSplitAsync("list");

        Assert.True(completed.ExitCode == DmigCommandLine.Success, completed.ToString());
        using (var document = JsonDocument.Parse(completed.Stdout))
        {
            var wave = Assert.Single(document.RootElement.EnumerateArray());
            Assert.Equal("listed", wave.GetProperty("instanceId").GetString());
            Assert.Equal(MigrationNames.WaveOrchestration, wave.GetProperty("name").GetString()); // waves only, not their databases
        }

        Assert.Equal(0, JsonDocument.Parse(running.Stdout).RootElement.GetArrayLength());
        Assert.Equal(1, JsonDocument.Parse(recent.Stdout).RootElement.GetArrayLength());
        Assert.Equal(0, JsonDocument.Parse(future.Stdout).RootElement.GetArrayLength());
        Assert.Contains("listed", table.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--since", "yesterday-ish")]
    [InlineData("--status", "Sleeping")]
    public async Task List_WithAnInvalidFilter_Exits2(string option, string value)
    {
        using var workspace = new WaveWorkspace();
        await workspace.DmigAsync("run", workspace.WriteManifest("filters"));

        var list = await workspace.DmigSplitAsync("list", option, value);

        Assert.Equal(DmigCommandLine.BadInput, list.ExitCode);
    }

    [Fact]
    public async Task History_OfAWaveAndOfADatabase_ListsEventsWithoutPayloads()
    {
        const string marker = "history-secret-7b1";
        using var workspace = new WaveWorkspace(marker); // literal connections hold the marker: they must not show
        await workspace.DmigAsync("run", workspace.WriteManifest("told"));

        var wave = await workspace.DmigSplitAsync("history", "told", "-o", "json");
        var alpha = await workspace.DmigSplitAsync("history", "told", "alpha", "-o", "json");
        var table = await workspace.DmigSplitAsync("history", "told", "alpha");

        Assert.True(wave.ExitCode == DmigCommandLine.Success, wave.ToString());
        using var waveEvents = JsonDocument.Parse(wave.Stdout);
        var types = waveEvents.RootElement.EnumerateArray().Select(e => e.GetProperty("eventType").GetString()).ToList();
        Assert.Equal("ExecutionStarted", types[0]);
        Assert.Contains("SubOrchestrationInstanceCreated", types);
        Assert.Equal("ExecutionCompleted", types[^1]);
        using var alphaEvents = JsonDocument.Parse(alpha.Stdout);
        var scheduled = alphaEvents.RootElement.EnumerateArray().Where(e => e.GetProperty("eventType").GetString() == "TaskScheduled").ToList();
        Assert.NotEmpty(scheduled);
        Assert.All(scheduled, e => Assert.True(e.TryGetProperty("taskId", out _) && e.TryGetProperty("name", out _)));
        Assert.Contains("TaskCompleted", table.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, wave.Stdout + alpha.Stdout + table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_OfAnUnknownWaveOrDatabase_Exits2()
    {
        using var workspace = new WaveWorkspace();
        await workspace.DmigAsync("run", workspace.WriteManifest("known-history"));

        var wave = await workspace.DmigSplitAsync("history", "nope");
        var database = await workspace.DmigSplitAsync("history", "known-history", "zz", "-o", "json");

        Assert.Equal(DmigCommandLine.BadInput, wave.ExitCode);
        Assert.Equal(DmigCommandLine.BadInput, database.ExitCode);
        Assert.Equal(string.Empty, database.Stdout);
        Assert.Contains("zz", JsonDocument.Parse(database.Stderr).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_OfAWaveOrADatabase_KeepOnlyTheirLines()
    {
        using var workspace = new WaveWorkspace();
        await workspace.DmigAsync("run", workspace.WriteManifest("logged"));
        await workspace.DmigAsync("run", workspace.WriteManifest("logged2", validation: (false, false)));

        var wave = await workspace.DmigSplitAsync("logs", "logged", "-o", "json");
        var alpha = await workspace.DmigSplitAsync("logs", "logged", "alpha", "-o", "json");
        var text = await workspace.DmigSplitAsync("logs", "logged", "beta");

        Assert.True(wave.ExitCode == DmigCommandLine.Success, wave.ToString());
        var waveLines = JsonDocument.Parse(wave.Stdout).RootElement.EnumerateArray().Select(l => l.GetRawText()).ToList();
        Assert.Contains(waveLines, l => l.Contains("logged:gamma", StringComparison.Ordinal));
        Assert.DoesNotContain(waveLines, l => l.Contains("logged2", StringComparison.Ordinal)); // a wave whose id starts the same is another wave
        var alphaLines = JsonDocument.Parse(alpha.Stdout).RootElement.EnumerateArray().ToList();
        Assert.NotEmpty(alphaLines);
        Assert.All(alphaLines, l => Assert.Contains("logged:alpha", l.GetRawText(), StringComparison.Ordinal));
        // Provider lines name only the database; the activity's scope adds the instance, so they are found too.
        Assert.Contains(alphaLines, l => l.TryGetProperty("instance", out var instance) && instance.GetString() == "logged:alpha" && l.GetProperty("category").GetString()!.Contains("Sqlite", StringComparison.Ordinal));
        Assert.All(text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Contains("logged:beta", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task LogsFollow_PrintsLinesUntilCancelled_AndExits0()
    {
        using var workspace = new WaveWorkspace();
        await workspace.DmigAsync("run", workspace.WriteManifest("followed"));
        var stdout = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));

        int exit = await DmigCommandLine.InvokeAsync(
            ["logs", "followed", "-f", "-o", "json", "--data-dir", workspace.DataDirectory],
            WaveWorkspace.TestConsole(stdout),
            WaveWorkspace.TestConsole(new StringWriter()),
            cancellationToken: stop.Token);

        Assert.Equal(DmigCommandLine.Success, exit);
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Contains("followed", JsonDocument.Parse(l).RootElement.GetRawText(), StringComparison.Ordinal)); // JSON Lines
    }

    [Fact]
    public async Task Terminate_StopsTheWaveAndItsDatabases_WithTheReasonInHistory()
    {
        using var workspace = new WaveWorkspace();
        var run = workspace.DmigAsync("run", workspace.WriteManifest("stopped", approval: "manual"));
        await WaveOperatorTests.WaitForStateAsync(workspace, "stopped", "alpha", DatabaseState.AwaitingApproval);

        var terminate = await workspace.DmigSplitAsync("terminate", "stopped", "--reason", "change freeze", "-o", "json");
        var (runExit, runOutput) = await run;
        var again = await workspace.DmigSplitAsync("terminate", "stopped");
        var history = await workspace.DmigSplitAsync("history", "stopped");

        Assert.True(terminate.ExitCode == DmigCommandLine.Success, terminate.ToString());
        Assert.Equal("Terminated", JsonDocument.Parse(terminate.Stdout).RootElement.GetProperty("runtimeStatus").GetString());
        Assert.True(runExit == DmigCommandLine.NotCompleted, runOutput);
        Assert.Equal(DmigCommandLine.NotCompleted, again.ExitCode); // refused: it already finished
        Assert.Contains("change freeze", history.Stdout, StringComparison.Ordinal);
        await using var host = DmigHost.Create(workspace.DataDirectory);
        var alpha = await host.Client.GetInstanceAsync(MigrationNames.DatabaseInstanceId("stopped", "alpha"));
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, alpha!.RuntimeStatus);
    }

    [Fact]
    public async Task Terminate_ReturnsOnceEveryRunningDatabaseIsTerminated_StatusAndListShowTheWaveTerminated_AndPurgeFollowsAtOnce()
    {
        using var workspace = new WaveWorkspace();
        // No process runs the wave: terminate hosts the runtime itself until its request is applied.
        using (var run = workspace.Start(null, "run", workspace.WriteManifest("ended", approval: "manual")))
        {
            await WaveOperatorTests.WaitForStateAsync(workspace, "ended", "alpha", DatabaseState.AwaitingApproval);
            await WaveOperatorTests.WaitForStateAsync(workspace, "ended", "beta", DatabaseState.AwaitingApproval);
            await run.Cancellation.CancelAsync();
            Assert.Equal(DmigCommandLine.Interrupted, await run.Exit);
        }

        var terminate = await workspace.DmigSplitAsync("terminate", "ended");
        await using (var host = DmigHost.Create(workspace.DataDirectory))
        {
            // Read at once: a process hosting the runtime may stop as soon as the wave ends, its databases' terminations unapplied.
            foreach (string database in new[] { "alpha", "beta" })
            {
                var instance = await host.Client.GetInstanceAsync(MigrationNames.DatabaseInstanceId("ended", database));
                Assert.True(instance!.RuntimeStatus == OrchestrationRuntimeStatus.Terminated, $"{database}: {instance.RuntimeStatus}\n{terminate}");
            }
        }

        // A terminated wave's output is the reason it was terminated, not a wave result: the lists show it terminated.
        string[][] commands = [["status"], ["list"], ["status", "-o", "json"], ["list", "-o", "json"], ["status", "ended"]];
        foreach (string[] command in commands)
        {
            var shown = await workspace.DmigSplitAsync(command);
            Assert.True(shown.ExitCode == DmigCommandLine.Success, string.Join(' ', command) + "\n" + shown);
            Assert.Contains(command.Contains("json") ? "\"Terminated\"" : "terminated", shown.Stdout, StringComparison.Ordinal);
        }

        var purge = await workspace.DmigSplitAsync("purge", "ended");
        Assert.True(terminate.ExitCode == DmigCommandLine.Success, terminate.ToString());
        Assert.True(purge.ExitCode == DmigCommandLine.Success, purge.ToString());
    }

    [Fact]
    public async Task SuspendAndResume_ReachTheDatabases_AndTheWaveThenCompletes()
    {
        using var workspace = new WaveWorkspace();
        var run = workspace.DmigAsync("run", workspace.WriteManifest("paused", approval: "manual"));
        await WaveOperatorTests.WaitForStateAsync(workspace, "paused", "alpha", DatabaseState.AwaitingApproval);

        var suspend = await workspace.DmigSplitAsync("suspend", "paused", "-o", "json");
        OrchestrationMetadata? wave, alpha;
        await using (var host = DmigHost.Create(workspace.DataDirectory))
        {
            wave = await host.Client.GetInstanceAsync("paused");
            alpha = await host.Client.GetInstanceAsync(MigrationNames.DatabaseInstanceId("paused", "alpha"));
        }

        var resume = await workspace.DmigSplitAsync("resume", "paused", "-o", "json");
        var resumeAgain = await workspace.DmigSplitAsync("resume", "paused");
        await WaveOperatorTests.WaitForStateAsync(workspace, "paused", "beta", DatabaseState.AwaitingApproval);
        await workspace.DmigAsync("approve", "paused");
        await WaveOperatorTests.WaitForStateAsync(workspace, "paused", "gamma", DatabaseState.AwaitingApproval);
        await workspace.DmigAsync("approve", "paused");
        var (exit, output) = await run;

        Assert.True(suspend.ExitCode == DmigCommandLine.Success, suspend.ToString());
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, wave!.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, alpha!.RuntimeStatus);
        Assert.True(resume.ExitCode == DmigCommandLine.Success, resume.ToString());
        Assert.True(JsonDocument.Parse(resume.Stdout).RootElement.GetProperty("hostedElsewhere").GetBoolean()); // the dmig run applied it
        Assert.Equal(DmigCommandLine.NotCompleted, resumeAgain.ExitCode);
        Assert.True(exit == DmigCommandLine.Success, output);
    }

    [Fact]
    public async Task Purge_RefusesARunningWave_AndFreesTheIdOfAFinishedOne()
    {
        using var workspace = new WaveWorkspace();
        var run = workspace.DmigAsync("run", workspace.WriteManifest("purged", approval: "manual"));
        await WaveOperatorTests.WaitForStateAsync(workspace, "purged", "alpha", DatabaseState.AwaitingApproval);

        var refused = await workspace.DmigSplitAsync("purge", "purged", "-o", "json");
        await workspace.DmigAsync("terminate", "purged");
        await run;
        var purge = await workspace.DmigSplitAsync("purge", "purged", "-o", "json");
        var status = await workspace.DmigSplitAsync("status", "purged");

        Assert.Equal(DmigCommandLine.NotCompleted, refused.ExitCode);
        string refusal = JsonDocument.Parse(refused.Stderr).RootElement.GetProperty("detail").GetString()!;
        Assert.Contains("running wave cannot be purged", refusal, StringComparison.Ordinal);
        Assert.Contains("is running:", refusal, StringComparison.Ordinal); // a status in words, as the tables write it, not "Running"
        Assert.True(purge.ExitCode == DmigCommandLine.Success, purge.ToString());
        Assert.True(JsonDocument.Parse(purge.Stdout).RootElement.GetProperty("purgedInstanceCount").GetInt32() >= 3); // the wave and its started databases
        Assert.Equal(DmigCommandLine.BadInput, status.ExitCode);
        await using var host = DmigHost.Create(workspace.DataDirectory);
        Assert.Empty(await host.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = "purged" }).ToListAsync());
    }

    [Fact]
    public async Task Completion_OffersTheDataDirectorysWaveIds_AndCreatesNothing()
    {
        using var workspace = new WaveWorkspace();
        await workspace.DmigAsync("run", workspace.WriteManifest("completed-wave"));
        string missing = Path.Combine(workspace.Root, "no-data-here");

        var waves = DmigCommandLine.Build().Parse($"history --data-dir {workspace.DataDirectory} c").GetCompletions().Select(c => c.Label).ToList();
        var databases = DmigCommandLine.Build().Parse($"logs completed-wave --data-dir {workspace.DataDirectory} ").GetCompletions().Select(c => c.Label).ToList();
        var none = DmigCommandLine.Build().Parse($"watch --data-dir {missing} ").GetCompletions().Select(c => c.Label).ToList();

        Assert.Contains("completed-wave", waves);
        Assert.Contains("alpha", databases);
        // Every argument that names a wave completes, the commands that act on one included; retry's database too.
        foreach (string command in new[] { "status", "approve", "retry", "rollback", "watch", "terminate", "suspend", "resume", "purge", "logs" })
        {
            var offered = DmigCommandLine.Build().Parse($"{command} --data-dir {workspace.DataDirectory} c").GetCompletions().Select(c => c.Label);
            Assert.True(offered.Contains("completed-wave"), command);
        }

        foreach (string command in new[] { "retry", "approve", "history" })
        {
            var offered = DmigCommandLine.Build().Parse($"{command} completed-wave --data-dir {workspace.DataDirectory} ").GetCompletions().Select(c => c.Label);
            Assert.True(offered.Contains("beta"), command);
        }

        Assert.DoesNotContain("completed-wave", none);
        Assert.False(Directory.Exists(missing));
    }
}
