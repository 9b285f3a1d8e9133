using System.Text.Json;
using System.Text.RegularExpressions;
using DurableMigration.Host.Commands;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;

namespace DurableMigration.Host.Tests;

/// <summary>Status tells the truth: a wave's custom status shows who waits for an operator, and a rolled-back wave shows as rolled back.</summary>
public sealed partial class TruthfulStatusTests
{
    [Fact]
    public async Task CustomStatus_WhileAManualApprovalWaveWaits_ShowsAwaitingApprovalAndTheApproveCommand()
    {
        using var workspace = new WaveWorkspace();
        var run = workspace.DmigAsync("run", workspace.WriteManifest("gate", approval: "manual"));

        var customStatus = await WaitForCustomStatusAsync(workspace, "gate", s => s.GetProperty("states").GetString()![0] == 'a' && s.TryGetProperty("attention", out _));
        var json = await workspace.DmigSplitAsync("status", "gate", "-o", "json");
        var (_, table) = await workspace.DmigAsync("status", "gate");
        await ApproveAllAsync(workspace, "gate", run);

        var alpha = customStatus.GetProperty("attention").EnumerateArray().Single(a => a.GetProperty("database").GetString() == "alpha");
        Assert.Equal("AwaitingApproval", alpha.GetProperty("state").GetString());
        Assert.Equal("dmig approve gate alpha", alpha.GetProperty("next").GetString());
        Assert.False(alpha.TryGetProperty("timeoutAt", out _)); // an approval waits without limit
        Assert.True(customStatus.GetProperty("counts").TryGetProperty(nameof(DatabaseState.AwaitingApproval), out _), customStatus.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.Equal('a', document.RootElement.GetProperty("customStatus").GetProperty("states").GetString()![0]);
        Assert.Contains("next: dmig approve gate alpha", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_OfAWaveRolledBackAfterItFinished_ShowsItRolledBackAndByWhich_InTheTableAndTheJson()
    {
        using var workspace = new WaveWorkspace();
        var (runExit, runOutput) = await workspace.DmigAsync("run", workspace.WriteManifest("undone-listed"));
        Assert.True(runExit == DmigCommandLine.Success, runOutput);
        var (rollbackExit, rollbackOutput) = await workspace.DmigAsync("rollback", "undone-listed");
        Assert.True(rollbackExit == DmigCommandLine.Success, rollbackOutput);

        var list = await workspace.DmigSplitAsync("list");
        var listJson = await workspace.DmigSplitAsync("list", "-o", "json");

        Assert.True(list.ExitCode == DmigCommandLine.Success, list.ToString());
        string waveRow = Assert.Single(list.Stdout.Split('\n'), l => l.StartsWith("│ undone-listed ", StringComparison.Ordinal));
        Assert.Matches("│ completed +│ rolled back +│ undone-listed:rollback ", waveRow);
        using var document = JsonDocument.Parse(listJson.Stdout);
        var wave = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal("Completed", wave.GetProperty("runtimeStatus").GetString());
        Assert.Equal("undone-listed:rollback", wave.GetProperty("rollback").GetProperty("instanceId").GetString());
        Assert.Equal("RolledBack", wave.GetProperty("rollback").GetProperty("output").GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Status_AfterAFinishedWaveIsRolledBack_ShowsTheWaveRolledBackAndListsTheRollback()
    {
        using var workspace = new WaveWorkspace();
        var (runExit, runOutput) = await workspace.DmigAsync("run", workspace.WriteManifest("undone"));
        Assert.True(runExit == DmigCommandLine.Success, runOutput);
        var (rollbackExit, rollbackOutput) = await workspace.DmigAsync("rollback", "undone");
        Assert.True(rollbackExit == DmigCommandLine.Success, rollbackOutput);

        var list = await workspace.DmigSplitAsync("status");
        var listJson = await workspace.DmigSplitAsync("status", "-o", "json");
        var single = await workspace.DmigSplitAsync("status", "undone");
        var singleJson = await workspace.DmigSplitAsync("status", "undone", "-o", "json");

        string[] lines = list.Stdout.Split('\n');
        string waveRow = Assert.Single(lines, l => l.StartsWith("│ undone ", StringComparison.Ordinal));
        Assert.Contains("rolled back", waveRow, StringComparison.Ordinal);
        Assert.Contains("undone:rollback", waveRow, StringComparison.Ordinal);
        Assert.Contains("rolled back", Assert.Single(lines, l => l.StartsWith("│ undone:rollback ", StringComparison.Ordinal)), StringComparison.Ordinal);

        using (var document = JsonDocument.Parse(listJson.Stdout))
        {
            var instances = document.RootElement.EnumerateArray().ToList();
            var wave = instances.Single(i => i.GetProperty("instanceId").GetString() == "undone");
            Assert.Equal("undone:rollback", wave.GetProperty("rollback").GetProperty("instanceId").GetString());
            Assert.Equal("RolledBack", wave.GetProperty("rollback").GetProperty("output").GetProperty("outcome").GetString());
            Assert.Contains(instances, i => i.GetProperty("instanceId").GetString() == "undone:rollback");
        }

        Assert.True(single.ExitCode == DmigCommandLine.Success, single.ToString());
        Assert.Contains("rolled back by undone:rollback", single.Stdout, StringComparison.Ordinal);
        foreach (string database in new[] { "alpha", "beta", "gamma" })
        {
            Assert.Matches($"│ {database} +│ rolled back ", single.Stdout);
        }

        Assert.DoesNotMatch(CompletedState(), single.Stdout);
        using (var document = JsonDocument.Parse(singleJson.Stdout))
        {
            var root = document.RootElement;
            Assert.Equal("undone", root.GetProperty("instanceId").GetString());
            var rollback = root.GetProperty("rollback");
            Assert.Equal("undone:rollback", rollback.GetProperty("instanceId").GetString());
            Assert.Equal("Completed", rollback.GetProperty("runtimeStatus").GetString());
            Assert.All(rollback.GetProperty("output").GetProperty("databases").EnumerateArray(), d => Assert.Equal("RolledBack", d.GetProperty("state").GetString()));
        }
    }

    /// <summary>Polls the wave's custom status (as Durable Functions clients read it) until <paramref name="until"/> holds.</summary>
    internal static async Task<JsonElement> WaitForCustomStatusAsync(WaveWorkspace workspace, string wave, Func<JsonElement, bool> until)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var host = DmigHost.Create(workspace.DataDirectory);
        while (true)
        {
            var instance = await host.Client.GetInstanceAsync(wave, getInputsAndOutputs: true, timeout.Token);
            if (instance?.SerializedCustomStatus is { } text)
            {
                using var document = JsonDocument.Parse(text);
                if (until(document.RootElement))
                {
                    return document.RootElement.Clone();
                }
            }

            Assert.False(instance?.IsCompleted ?? false, $"wave {wave} finished before its status showed what was expected: {instance?.SerializedCustomStatus}");
            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>Approves alpha and beta, then gamma (it depends on both), and waits for the wave to complete.</summary>
    private static async Task ApproveAllAsync(WaveWorkspace workspace, string wave, Task<(int ExitCode, string Output)> run)
    {
        await WaveOperatorTests.WaitForStateAsync(workspace, wave, "beta", DatabaseState.AwaitingApproval);
        await workspace.DmigAsync("approve", wave);
        await WaveOperatorTests.WaitForStateAsync(workspace, wave, "gamma", DatabaseState.AwaitingApproval);
        await workspace.DmigAsync("approve", wave);
        var (exit, output) = await run;
        Assert.True(exit == DmigCommandLine.Success, output);
    }

    /// <summary>A state column that says a database is (still) completed.</summary>
    [GeneratedRegex(@"│ completed\b")]
    private static partial Regex CompletedState();
}
