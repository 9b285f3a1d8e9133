using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DurableMigration.Application;
using DurableMigration.Host.Commands;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;

namespace DurableMigration.Host.Tests;

/// <summary>Ctrl+C is SIGINT to a real <c>dmig run</c> process (Linux: <c>env --default-signal</c>, <c>kill</c>): it stops hosting the wave, keeps it, and exits 130.</summary>
public sealed class InterruptTests
{
    [Fact]
    public async Task SigintToARunningDmigRun_Exits130_WithAnInterruptedProblem_AndTheWaveStaysSavedForTheSameCommand()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("ctrl-c", approval: "manual");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();

        using var dmig = StartDmig(stdout, stderr, "run", manifest, "--data-dir", workspace.DataDirectory, "-o", "json");
        await WaitUntilAwaitingApprovalAsync(workspace, dmig);
        Signal(dmig.Id, "INT");
        using (var exited = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            await dmig.WaitForExitAsync(exited.Token);
        }

        string output = $"stdout:\n{stdout}\nstderr:\n{stderr}";
        Assert.True(dmig.ExitCode == DmigCommandLine.Interrupted, output);
        Assert.True(stdout.ToString().Trim().Length == 0, output);
        // The problem is the last thing on stderr, after the progress lines.
        string text = stderr.ToString();
        using var problem = JsonDocument.Parse(text[text.LastIndexOf("\n{", StringComparison.Ordinal)..]);
        Assert.Equal("urn:dmig:problem:interrupted", problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(DmigCommandLine.Interrupted, problem.RootElement.GetProperty("exitCode").GetInt32());

        // The wave is saved, not ended: nobody runs it now, and the same command resumes it.
        var status = await workspace.DmigSplitAsync("status", "ctrl-c", "-o", "json");
        using var json = JsonDocument.Parse(status.Stdout);
        Assert.Equal("Running", json.RootElement.GetProperty("runtimeStatus").GetString());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("runner").ValueKind);
    }

    /// <summary>
    /// Starts dmig.dll with SIGINT at its default disposition: a process started in the background of a non-interactive
    /// shell inherits SIGINT ignored, and .NET then never sees Ctrl+C; <c>env --default-signal</c> undoes that.
    /// </summary>
    private static Process StartDmig(StringBuilder stdout, StringBuilder stderr, params string[] args)
    {
        var info = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("--default-signal=INT");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dmig.dll"));
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dmig");
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is not null)
        {
            lock (text)
            {
                text.Append(line).Append('\n');
            }
        }
    }

    /// <summary>Sends a signal with kill(1): .NET can send only SIGKILL (Process.Kill) to another process.</summary>
    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static async Task WaitUntilAwaitingApprovalAsync(WaveWorkspace workspace, Process dmig)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (!File.Exists(Path.Combine(workspace.DataDirectory, "taskhub.db")))
        {
            Assert.False(dmig.HasExited, "dmig exited before the wave started");
            await Task.Delay(50, timeout.Token);
        }

        await using var host = DmigHost.Create(workspace.DataDirectory);
        while (true)
        {
            Assert.False(dmig.HasExited, "dmig exited before the wave reached the approval gate");
            var view = await WaveView.LoadAsync(host.Client, "ctrl-c", timeout.Token);
            if (view is not null && view.StateOf("alpha") == DatabaseState.AwaitingApproval)
            {
                return;
            }

            await Task.Delay(50, timeout.Token);
        }
    }
}
