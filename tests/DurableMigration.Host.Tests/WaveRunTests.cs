using DurableMigration.Host.Commands;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;
using DurableMigration.Providers;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Host.Tests;

/// <summary>Waves of real SQLite databases run through the dmig command line, in-process.</summary>
public sealed class WaveRunTests
{
    public static TheoryData<string, string> DrillsUnderBothPolicies()
    {
        var data = new TheoryData<string, string>();
        foreach (string step in new[] { "migrate", "monitor", "cutover", "postValidate", "remediate" })
        {
            data.Add(step, "rollbackWave");
            data.Add(step, "rollbackDatabase");
        }

        return data;
    }

    [Fact]
    public async Task Run_OfAHealthyWave_MigratesVerifiesAndSwitchesEveryDatabase()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("healthy");
        var before = await FingerprintsAsync(workspace, workspace.SourcePath);

        var (exit, output) = await workspace.DmigAsync("run", manifest);

        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.Contains("Wave healthy: completed", output, StringComparison.Ordinal);
        Assert.Equal(before, await FingerprintsAsync(workspace, workspace.TargetPath));
        var result = await ResultAsync(workspace, "healthy");
        Assert.All(result.Databases, d => Assert.Equal(DatabaseState.Completed, d.State));
        Assert.All(result.Databases, d => Assert.True(d.Validation!.Passed));
        Assert.Equal(WaveWorkspace.RowsPerTable * 2, result.Databases[0].Rows); // items and the audit rows the trigger wrote
        await using var host = DmigHost.Create(workspace.DataDirectory);
        var registry = host.Services.GetRequiredService<IConnectionRegistry>();
        Assert.Equal($"Data Source={workspace.TargetPath("gamma")}", (await registry.GetAsync("gamma"))!.Connection);
    }

    [Fact]
    public async Task Run_WithFullDurability_CompletesTheWave()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("flushed");

        var (exit, output) = await workspace.DmigAsync("run", manifest, "--durability", "full");

        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.Contains("Wave flushed: completed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ArgumentErrors_ExitWithTwo_AndSayWhatIsWrong()
    {
        using var workspace = new WaveWorkspace();

        var (exit, output) = await workspace.DmigAsync("run", "wave.json", "--durability", "bogus");

        Assert.Equal(DmigCommandLine.BadInput, exit);
        Assert.Contains("bogus", output, StringComparison.Ordinal);
        Assert.Contains("dmig --help", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunWithJson_PrintsStatusJsonThatParses_EvenWithLongLines()
    {
        using var workspace = new WaveWorkspace();

        var run = await workspace.DmigSplitAsync("run", workspace.WriteManifest("json-wave-with-a-rather-long-name-so-lines-get-long"), "--json");

        Assert.True(run.ExitCode == DmigCommandLine.Success, run.ToString());
        using var document = System.Text.Json.JsonDocument.Parse(run.Stdout);
        Assert.Equal("Completed", document.RootElement.GetProperty("runtimeStatus").GetString());
    }

    [Fact]
    public async Task Run_StartsADatabaseOnlyAfterEverythingItDependsOnCompleted()
    {
        using var workspace = new WaveWorkspace();
        await workspace.DmigAsync("run", workspace.WriteManifest("ordered"));

        var result = await ResultAsync(workspace, "ordered");

        var gammaStart = result.Databases.Single(d => d.Database == "gamma").Steps.Min(s => s.StartedAt);
        var dependenciesEnd = result.Databases.Where(d => d.Database != "gamma").Max(d => d.Steps.Max(s => s.EndedAt));
        Assert.True(gammaStart >= dependenciesEnd, $"gamma started {gammaStart:O}, its dependencies ended {dependenciesEnd:O}");
    }

    [Theory]
    [MemberData(nameof(DrillsUnderBothPolicies))]
    public async Task Drill_RollsBackInReverseOrder_AndLeavesEverySourceIntactAndWritable(string step, string policy)
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest($"drill-{step}-{policy}".ToLowerInvariant(), onFailure: policy);
        var before = await FingerprintsAsync(workspace, workspace.SourcePath);

        var (exit, output) = await workspace.DmigAsync("run", manifest, "--drill", $"beta:{step}");

        Assert.True(exit == DmigCommandLine.NotCompleted, output);
        var result = await ResultAsync(workspace, $"drill-{step}-{policy}".ToLowerInvariant());
        var beta = result.Databases.Single(d => d.Database == "beta");
        Assert.Equal(DatabaseState.RolledBack, beta.State);
        Assert.Contains("Drill", beta.Error, StringComparison.Ordinal);
        Assert.Equal(ExpectedCompensations(step), beta.CompensationsRun.Select(c => c.Compensation));
        Assert.All(beta.CompensationsRun, c => Assert.True(c.Succeeded));
        Assert.False(File.Exists(workspace.TargetPath("beta")));

        var gamma = result.Databases.Single(d => d.Database == "gamma");
        Assert.Equal(DatabaseState.Skipped, gamma.State); // it depends on beta
        var alpha = result.Databases.Single(d => d.Database == "alpha");
        if (policy == "rollbackWave")
        {
            Assert.Equal(WaveOutcome.RolledBack, result.Outcome);
            Assert.Equal(DatabaseState.RolledBack, alpha.State);
            Assert.Equal([Compensation.SwitchConsumersBack, Compensation.MakeSourceWritable, Compensation.DropTarget], alpha.CompensationsRun.Select(c => c.Compensation));
            Assert.Equal(["alpha"], result.RollbackOrder);
        }
        else
        {
            Assert.Equal(WaveOutcome.PartiallyCompleted, result.Outcome);
            Assert.Equal(DatabaseState.Completed, alpha.State);
        }

        Assert.Equal(before, await FingerprintsAsync(workspace, workspace.SourcePath));
        Assert.Null(await workspace.TryWriteAsync("beta"));
        if (policy == "rollbackWave")
        {
            Assert.Null(await workspace.TryWriteAsync("alpha"));
        }
    }

    [Fact]
    public async Task Drill_AtValidate_BlocksTheWaveBeforeAnythingIsTouched()
    {
        using var workspace = new WaveWorkspace();

        var (exit, output) = await workspace.DmigAsync("run", workspace.WriteManifest("blocked"), "--drill", "gamma:validate");

        Assert.Equal(DmigCommandLine.NotCompleted, exit);
        Assert.Contains("Wave blocked: blocked", output, StringComparison.Ordinal);
        var result = await ResultAsync(workspace, "blocked");
        Assert.Equal(WaveOutcome.Blocked, result.Outcome);
        Assert.All(result.Databases, d => Assert.Equal(DatabaseState.Skipped, d.State));
        Assert.Empty(Directory.GetFiles(workspace.TargetDirectory));
    }

    [Fact]
    public async Task Rollback_OfACompletedWave_UndoesEveryDatabaseDependentsFirst()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("undo");
        var before = await FingerprintsAsync(workspace, workspace.SourcePath);
        await workspace.DmigAsync("run", manifest);

        var (exit, output) = await workspace.DmigAsync("rollback", "undo");

        Assert.True(exit == DmigCommandLine.Success, output);
        await using var host = DmigHost.Create(workspace.DataDirectory);
        var rollback = await host.Client.GetInstanceAsync(MigrationNames.RollbackInstanceId("undo"), getInputsAndOutputs: true);
        var result = rollback!.ReadOutputAs<WaveResult>()!;
        Assert.Equal("gamma", result.RollbackOrder[0]);
        Assert.All(result.Databases, d => Assert.Equal(DatabaseState.RolledBack, d.State));
        Assert.Equal(before, await FingerprintsAsync(workspace, workspace.SourcePath));
        Assert.Null(await workspace.TryWriteAsync("gamma"));
        var registry = host.Services.GetRequiredService<IConnectionRegistry>();
        Assert.Equal($"Data Source={workspace.SourcePath("alpha")}", (await registry.GetAsync("alpha"))!.Connection);
        Assert.Equal(2, (await registry.GetHistoryAsync("alpha")).Count); // to the target, and back
    }

    [Fact]
    public async Task Run_AgainForAFinishedWave_ShowsItsResultWithoutMigratingAgain()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("once");
        await workspace.DmigAsync("run", manifest);

        var (exit, output) = await workspace.DmigAsync("run", manifest);

        Assert.Equal(DmigCommandLine.Success, exit);
        Assert.Contains("already finished", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AgainForAWaveRolledBackSince_ShowsTheRollbacksResultAndExits1()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("undone-once");
        await workspace.DmigAsync("run", manifest);
        await workspace.DmigAsync("rollback", "undone-once");

        var (exit, output) = await workspace.DmigAsync("run", manifest);

        Assert.Equal(DmigCommandLine.NotCompleted, exit);
        Assert.Contains("was rolled back since by undone-once:rollback", output, StringComparison.Ordinal);
        Assert.Contains("Wave undone-once: rolled back", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WithAnInvalidManifest_ReportsEveryErrorAndExitsWithBadInput()
    {
        using var workspace = new WaveWorkspace();
        string manifest = Path.Combine(workspace.Root, "bad.json");
        await File.WriteAllTextAsync(manifest, """{ "wave": "bad", "databases": [ { "name": "a", "source": { "engine": "sqlite", "connection": "Data Source=a.db" }, "target": { "engine": "sqlite", "connection": "Data Source=b.db" }, "dependsOn": ["nope"] } ], "maxParalel": 2 }""");

        var (exit, output) = await workspace.DmigAsync("run", manifest);

        Assert.Equal(DmigCommandLine.BadInput, exit);
        Assert.Contains("databases[0].dependsOn[0]", output, StringComparison.Ordinal);
        Assert.Contains("maxParalel", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WithAnUnknownDrillDatabase_ExitsWithBadInput()
    {
        using var workspace = new WaveWorkspace();

        var (exit, output) = await workspace.DmigAsync("run", workspace.WriteManifest("w"), "--drill", "nosuch:cutover");

        Assert.Equal(DmigCommandLine.BadInput, exit);
        Assert.Contains("no database 'nosuch'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_WithJson_PrintsDurableFunctionsStatusShape()
    {
        using var workspace = new WaveWorkspace();
        await workspace.DmigAsync("run", workspace.WriteManifest("shape"));

        var (exit, output) = await workspace.DmigAsync("status", "shape", "--json");

        Assert.Equal(DmigCommandLine.Success, exit);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal("shape", root.GetProperty("instanceId").GetString());
        Assert.Equal("Completed", root.GetProperty("runtimeStatus").GetString());
        Assert.Equal("Completed", root.GetProperty("output").GetProperty("outcome").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", root.GetProperty("createdTime").GetString());
        Assert.True(root.TryGetProperty("input", out _));
        Assert.True(root.TryGetProperty("customStatus", out _));
        Assert.True(root.TryGetProperty("lastUpdatedTime", out _));
    }

    private static IEnumerable<Compensation> ExpectedCompensations(string step) => step switch
    {
        "migrate" or "monitor" => [Compensation.DropTarget],
        "cutover" or "postValidate" or "remediate" => [Compensation.MakeSourceWritable, Compensation.DropTarget],
        _ => [],
    };

    private static async Task<Dictionary<string, string>> FingerprintsAsync(WaveWorkspace workspace, Func<string, string> path)
    {
        var result = new Dictionary<string, string>();
        foreach (string database in new[] { "alpha", "beta", "gamma" })
        {
            result[database] = await WaveWorkspace.FingerprintAsync(path(database));
        }

        return result;
    }

    internal static async Task<WaveResult> ResultAsync(WaveWorkspace workspace, string wave)
    {
        await using var host = DmigHost.Create(workspace.DataDirectory);
        var instance = await host.Client.GetInstanceAsync(wave, getInputsAndOutputs: true);
        Assert.NotNull(instance);
        return instance.ReadOutputAs<WaveResult>()
            ?? throw new InvalidOperationException($"Wave {wave} has no output: {instance.RuntimeStatus} {instance.FailureDetails}");
    }
}
