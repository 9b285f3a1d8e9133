using System.Diagnostics;
using DurableMigration.Application;
using DurableMigration.Host.Commands;
using DurableMigration.Host.Console;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;

namespace DurableMigration.Host.Tests;

/// <summary>A real dmig process killed with SIGKILL mid-wave; the next dmig run resumes the wave where it stood.</summary>
public sealed class WaveCrashTests
{
    [Fact]
    public async Task KilledDmigRun_IsResumedByTheNextRun_AndTheTargetsMatchTheSources()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("crash", approval: "manual");
        var sources = new Dictionary<string, string>();
        foreach (string database in new[] { "alpha", "beta", "gamma" })
        {
            sources[database] = await WaveWorkspace.FingerprintAsync(workspace.SourcePath(database));
        }

        using (var victim = WaveWorkspace.StartDmigProcess("run", manifest, "--data-dir", workspace.DataDirectory))
        {
            // Mid-wave: alpha and beta copied and waiting for approval, gamma not started.
            await WaitAsync(workspace, view => view.StateOf("alpha") == DatabaseState.AwaitingApproval && view.StateOf("beta") == DatabaseState.AwaitingApproval, victim);
            // The engine lock is an OS lock of another process here: status names it while it lives.
            var running = await workspace.DmigSplitAsync("status", "crash", "-o", "json");
            using (var json = System.Text.Json.JsonDocument.Parse(running.Stdout))
            {
                Assert.Equal(victim.Id, json.RootElement.GetProperty("runner").GetProperty("pid").GetInt32());
            }

            victim.Kill(entireProcessTree: true);
            await victim.WaitForExitAsync();
        }

        // The OS dropped the dead process's lock; its record file, left behind, does not count.
        var orphaned = await workspace.DmigSplitAsync("status", "crash");
        Assert.Contains("No process is running this wave", orphaned.Stdout, StringComparison.Ordinal);

        var resumed = workspace.DmigAsync("run", manifest);
        await WaitAsync(workspace, view => view.StateOf("alpha") == DatabaseState.AwaitingApproval, null);
        await workspace.DmigAsync("approve", "crash");
        await WaitAsync(workspace, view => view.StateOf("gamma") == DatabaseState.AwaitingApproval, null);
        await workspace.DmigAsync("approve", "crash");
        var (exit, output) = await resumed;

        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.Contains("Resuming wave crash", output, StringComparison.Ordinal);
        Assert.DoesNotContain("being run by", output, StringComparison.Ordinal);
        foreach (var (database, fingerprint) in sources)
        {
            Assert.Equal(fingerprint, await WaveWorkspace.FingerprintAsync(workspace.TargetPath(database)));
        }
    }

    private static async Task WaitAsync(WaveWorkspace workspace, Func<WaveView, bool> condition, Process? mustStayAlive)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var host = DmigHost.Create(workspace.DataDirectory);
        while (true)
        {
            Assert.False(mustStayAlive?.HasExited ?? false, "dmig exited before the wave reached the expected point");
            var view = await WaveView.LoadAsync(host.Client, "crash", timeout.Token);
            if (view is not null && condition(view))
            {
                return;
            }

            await Task.Delay(50, timeout.Token);
        }
    }
}
