using DurableMigration.Host.Commands;
using DurableMigration.Migration;

namespace DurableMigration.Host.Tests;

/// <summary>No dead ends: a rollback whose compensations cannot run names the cause, never leaves the source read-only without a command that fixes it, and `dmig rollback --retry` finishes it.</summary>
public sealed class FailedRollbackTests
{
    [Fact]
    public async Task RollbackOfARunningWave_WithTheTargetVariableUnset_MakesTheSourceWritable_AndRetryDropsTheTarget()
    {
        using var workspace = new WaveWorkspace();
        string variable = UniqueVariable();
        string target = $"Data Source={workspace.TargetPath("alpha")}";
        Environment.SetEnvironmentVariable(variable, target);
        try
        {
            string manifest = workspace.WriteManifest("unset-running", onFailure: "askOperator", targetConnection: db => db == "alpha" ? $"env:{variable}" : null);
            var run = workspace.DmigAsync("run", manifest, "--drill", "alpha:postValidate");
            await TruthfulStatusTests.WaitForCustomStatusAsync(workspace, "unset-running", s => s.GetProperty("states").GetString()![0] == 'n');
            var (_, attention) = await workspace.DmigAsync("status", "unset-running");
            Assert.NotNull(await workspace.TryWriteAsync("alpha")); // cut over before post-validation failed: read-only

            Environment.SetEnvironmentVariable(variable, null);
            var (rollbackExit, rollbackOutput) = await workspace.DmigAsync("rollback", "unset-running");
            var (runExit, _) = await run;

            Assert.Contains("next: dmig retry unset-running alpha or dmig rollback unset-running · operator timeout ", attention, StringComparison.Ordinal);
            Assert.Equal(DmigCommandLine.NotCompleted, rollbackExit);
            Assert.Equal(DmigCommandLine.NotCompleted, runExit);
            Assert.Contains($"compensation failed alpha: DropTarget: target connection env:{variable} is not set", rollbackOutput, StringComparison.Ordinal);
            Assert.Contains("dmig rollback unset-running --retry", rollbackOutput, StringComparison.Ordinal);
            Assert.Null(await workspace.TryWriteAsync("alpha")); // the target's variable is not needed to give the source back
            Assert.True(File.Exists(workspace.TargetPath("alpha")));
            var (migrationRetryExit, migrationRetryOutput) = await workspace.DmigAsync("retry", "unset-running", "alpha");
            Assert.Equal(DmigCommandLine.NotCompleted, migrationRetryExit);
            Assert.Contains("dmig rollback unset-running --retry", migrationRetryOutput, StringComparison.Ordinal);

            Environment.SetEnvironmentVariable(variable, target);
            var (retryExit, retryOutput) = await workspace.DmigAsync("rollback", "unset-running", "--retry");

            Assert.True(retryExit == DmigCommandLine.Success, retryOutput);
            Assert.False(File.Exists(workspace.TargetPath("alpha")));
            Assert.Null(await workspace.TryWriteAsync("alpha"));
            var result = await WaveRunTests.ResultAsync(workspace, "unset-running:rollback");
            Assert.Equal(WaveOutcome.RolledBack, result.Outcome);
            Assert.Equal(DatabaseState.RolledBack, result.Databases.Single(d => d.Database == "alpha").State);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task RollbackOfAFinishedWave_WithTheTargetVariableUnset_NamesIt_AndRetryRollsBackOnceItIsSet()
    {
        using var workspace = new WaveWorkspace();
        string variable = UniqueVariable();
        string target = $"Data Source={workspace.TargetPath("alpha")}";
        Environment.SetEnvironmentVariable(variable, target);
        try
        {
            var (runExit, runOutput) = await workspace.DmigAsync("run", workspace.WriteManifest("unset-finished", targetConnection: db => db == "alpha" ? $"env:{variable}" : null));
            Assert.True(runExit == DmigCommandLine.Success, runOutput);

            Environment.SetEnvironmentVariable(variable, null);
            var (rollbackExit, rollbackOutput) = await workspace.DmigAsync("rollback", "unset-finished");
            var status = await workspace.DmigSplitAsync("status", "unset-finished");
            var (migrationRetryExit, migrationRetryOutput) = await workspace.DmigAsync("retry", "unset-finished", "alpha");
            var (retryWithoutFixExit, _) = await workspace.DmigAsync("rollback", "unset-finished", "--retry");

            Assert.Equal(DmigCommandLine.NotCompleted, rollbackExit);
            Assert.Contains($"target connection env:{variable} is not set", rollbackOutput, StringComparison.Ordinal);
            Assert.True(rollbackOutput.Contains("dmig rollback unset-finished --retry", StringComparison.Ordinal), rollbackOutput);
            // The wave's own table gives the whole reason on alpha's row (not cut to fit) and the command that finishes it.
            string alphaRow = string.Concat(status.Stdout.Split('\n').SkipWhile(l => !l.StartsWith("│ alpha ", StringComparison.Ordinal)).TakeWhile(l => !l.StartsWith("│ beta ", StringComparison.Ordinal))
                .Select(l => l.Split('│', StringSplitOptions.TrimEntries)[4] + " "));
            Assert.Contains($"target connection env:{variable} is not set; consumers stay on the target", alphaRow, StringComparison.Ordinal);
            Assert.Contains("next: fix the cause, then dmig rollback unset-finished --retry", alphaRow, StringComparison.Ordinal);
            Assert.Equal(DmigCommandLine.NotCompleted, migrationRetryExit);
            Assert.Contains("then run dmig rollback unset-finished --retry", migrationRetryOutput, StringComparison.Ordinal); // not a dead end
            Assert.Equal(DmigCommandLine.NotCompleted, retryWithoutFixExit);
            Assert.NotNull(await workspace.TryWriteAsync("alpha")); // consumers still on the target: nothing undone
            Assert.True(File.Exists(workspace.TargetPath("alpha")));

            Environment.SetEnvironmentVariable(variable, target);
            var (retryExit, retryOutput) = await workspace.DmigAsync("rollback", "unset-finished", "--retry");

            Assert.True(retryExit == DmigCommandLine.Success, retryOutput);
            Assert.Null(await workspace.TryWriteAsync("alpha"));
            Assert.False(File.Exists(workspace.TargetPath("alpha")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    /// <summary>Tests run in parallel in one process: each needs a variable of its own.</summary>
    private static string UniqueVariable() => "DMIG_TEST_TARGET_" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
}
