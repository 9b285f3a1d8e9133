using System.Text.Json;
using DurableMigration.Host.Commands;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Host.Tests;

/// <summary><c>run --no-wait</c>, <c>run --timeout</c> and <c>watch</c>: starting a wave for a script, and waiting on it with exit codes.</summary>
public sealed class RunWithoutWaitingTests
{
    [Fact]
    public async Task RunNoWait_PrintsTheInstanceId_AndHandsTheWaveToABackgroundRun()
    {
        using var workspace = new WaveWorkspace();
        var launcher = new InProcessLauncher();
        string manifest = workspace.WriteManifest("detached");

        var start = await workspace.DmigSplitAsync(launcher.Register, "run", manifest, "--no-wait", "-o", "json");
        var watch = await workspace.DmigSplitAsync("watch", "detached", "-o", "json");

        Assert.True(start.ExitCode == DmigCommandLine.Success, start.ToString());
        Assert.Equal("detached", JsonDocument.Parse(start.Stdout).RootElement.GetProperty("instanceId").GetString());
        Assert.Contains("dmig watch detached", start.Stderr, StringComparison.Ordinal);
        var (arguments, outputFile) = Assert.Single(launcher.Launches);
        Assert.Equal(["run", Path.GetFullPath(manifest), "--data-dir", workspace.DataDirectory, "--durability", "normal"], arguments);
        Assert.Equal(Path.Combine(workspace.DataDirectory, "logs", "run-detached.log"), outputFile);
        Assert.True(watch.ExitCode == DmigCommandLine.Success, watch.ToString());
        Assert.Equal("Completed", JsonDocument.Parse(watch.Stdout).RootElement.GetProperty("runtimeStatus").GetString());
        Assert.Equal(DmigCommandLine.Success, await launcher.Runs.Single());
    }

    [Fact]
    public async Task Watch_IsReadOnly_AWaveNobodyRunsStaysPending_AndTimeoutExits3()
    {
        using var workspace = new WaveWorkspace();
        var idle = new InProcessLauncher(run: false);
        await workspace.DmigSplitAsync(idle.Register, "run", workspace.WriteManifest("unhosted"), "--no-wait");

        var watch = await workspace.DmigSplitAsync("watch", "unhosted", "--timeout", "1s", "-o", "json");

        Assert.Equal(DmigCommandLine.NeedsAttention, watch.ExitCode);
        Assert.Equal("Pending", JsonDocument.Parse(watch.Stdout).RootElement.GetProperty("runtimeStatus").GetString()); // watch ran nothing
        Assert.Equal("urn:dmig:problem:needs-attention", JsonDocument.Parse(watch.Stderr[watch.Stderr.IndexOf('{', StringComparison.Ordinal)..]).RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Watch_OfAFinishedWave_ExitsWithItsOutcome()
    {
        using var workspace = new WaveWorkspace();
        await workspace.DmigAsync("run", workspace.WriteManifest("watched-ok"));
        await workspace.DmigAsync("run", workspace.WriteManifest("watched-failed", onFailure: "rollbackWave"), "--drill", "beta:cutover");

        var completed = await workspace.DmigSplitAsync("watch", "watched-ok");
        var rolledBack = await workspace.DmigSplitAsync("watch", "watched-failed", "-o", "json");
        var unknown = await workspace.DmigSplitAsync("watch", "never-ran");

        Assert.True(completed.ExitCode == DmigCommandLine.Success, completed.ToString());
        Assert.Contains("Wave watched-ok: completed", completed.Stdout, StringComparison.Ordinal);
        Assert.True(rolledBack.ExitCode == DmigCommandLine.NotCompleted, rolledBack.ToString());
        Assert.Equal("RolledBack", JsonDocument.Parse(rolledBack.Stdout).RootElement.GetProperty("output").GetProperty("outcome").GetString());
        Assert.Equal(DmigCommandLine.BadInput, unknown.ExitCode);
    }

    [Fact]
    public async Task RunTimeout_StopsWaitingAtTheApprovalGate_Exits3_AndTheWaveStaysSaved()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("gated", approval: "manual");

        var run = await workspace.DmigSplitAsync("run", manifest, "--timeout", "4s", "-o", "json");

        Assert.True(run.ExitCode == DmigCommandLine.NeedsAttention, run.ToString());
        using var status = JsonDocument.Parse(run.Stdout);
        Assert.Equal("gated", status.RootElement.GetProperty("instanceId").GetString());
        Assert.Contains("awaiting approval", run.Stderr, StringComparison.Ordinal);
        await using var host = DmigHost.Create(workspace.DataDirectory);
        Assert.False((await host.Client.GetInstanceAsync("gated"))!.IsCompleted);
    }

    [Fact]
    public async Task RunTimeout_WithABadDuration_Exits2()
    {
        using var workspace = new WaveWorkspace();

        var run = await workspace.DmigSplitAsync("run", workspace.WriteManifest("bad-timeout"), "--timeout", "soon");

        Assert.Equal(DmigCommandLine.BadInput, run.ExitCode);
        Assert.Contains("not a duration", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunNoWait_WhenThisProcessIsNotDmig_SaysSoAndKeepsTheWave()
    {
        using var workspace = new WaveWorkspace();

        var start = await workspace.DmigSplitAsync("run", workspace.WriteManifest("not-relaunched"), "--no-wait", "-o", "json"); // the default launcher, in a test host

        Assert.Equal(DmigCommandLine.NotCompleted, start.ExitCode);
        Assert.Contains("not dmig", JsonDocument.Parse(start.Stderr[start.Stderr.IndexOf('{', StringComparison.Ordinal)..]).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await using var host = DmigHost.Create(workspace.DataDirectory);
        Assert.NotNull(await host.Client.GetInstanceAsync("not-relaunched")); // saved: 'dmig run' runs it
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("10m", 600)]
    [InlineData("1.5h", 5400)]
    [InlineData("250ms", 0.25)]
    [InlineData("00:02:00", 120)]
    public void Durations_ParseUnitsAndTimeSpans(string text, double seconds)
    {
        Assert.True(Durations.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Fact]
    public async Task ProcessRunLauncher_RunsTheWaveInABackgroundDmigProcess()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("real-background");
        await workspace.DmigSplitAsync(new InProcessLauncher(run: false).Register, "run", manifest, "--no-wait"); // schedules it; a test host cannot relaunch itself as dmig
        string dmig = Path.Combine(AppContext.BaseDirectory, "dmig.dll");
        string outputFile = Path.Combine(workspace.DataDirectory, "logs", "run-real-background.log");
        var launcher = new ProcessRunLauncher("dotnet", [dmig]);

        int processId = await launcher.LaunchAsync(["run", manifest, "--data-dir", workspace.DataDirectory], outputFile);
        var watch = await workspace.DmigSplitAsync("watch", "real-background", "--timeout", "2m");

        Assert.True(processId > 0);
        Assert.True(watch.ExitCode == DmigCommandLine.Success, watch.ToString() + "\n--- background output\n" + (File.Exists(outputFile) ? await File.ReadAllTextAsync(outputFile) : "(none)"));
        using var exited = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!exited.IsCancellationRequested && !(await File.ReadAllTextAsync(outputFile, exited.Token)).Contains("Wave real-background: completed", StringComparison.Ordinal))
        {
            await Task.Delay(100, exited.Token);
        }

        Assert.Contains("real-background", await File.ReadAllTextAsync(outputFile), StringComparison.Ordinal);
    }

    /// <summary>Stands in for the background process: runs the launched command in this process (or, with <c>run: false</c>, nowhere).</summary>
    private sealed class InProcessLauncher(bool run = true) : IDetachedRunLauncher
    {
        public List<(IReadOnlyList<string> Arguments, string OutputFile)> Launches { get; } = [];

        public List<Task<int>> Runs { get; } = [];

        public void Register(IServiceCollection services) => services.AddSingleton<IDetachedRunLauncher>(this);

        public Task<int> LaunchAsync(IReadOnlyList<string> arguments, string outputFile, CancellationToken cancellationToken = default)
        {
            Launches.Add((arguments, outputFile));
            if (run)
            {
                var output = new StringWriter();
                Runs.Add(Task.Run(() => DmigCommandLine.InvokeAsync([.. arguments], WaveWorkspace.TestConsole(output), WaveWorkspace.TestConsole(output), cancellationToken: CancellationToken.None)));
            }

            return Task.FromResult(Environment.ProcessId);
        }
    }
}
