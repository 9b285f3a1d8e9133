using DurableMigration.Application;
using DurableMigration.Host.Commands;
using DurableMigration.Host.Console;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Host.Tests;

/// <summary>Operators steering a running wave from a second command: approval, retry, rollback; and secrets kept out of everything dmig writes.</summary>
public sealed class WaveOperatorTests
{
    [Fact]
    public async Task ManualApproval_HoldsCutoverUntilApproved()
    {
        using var workspace = new WaveWorkspace();
        var run = workspace.DmigAsync("run", workspace.WriteManifest("manual", approval: "manual"));

        await WaitForStateAsync(workspace, "manual", "alpha", DatabaseState.AwaitingApproval);
        Assert.Null(await workspace.TryWriteAsync("alpha")); // not cut over yet: the source still takes writes
        await WaitForStateAsync(workspace, "manual", "beta", DatabaseState.AwaitingApproval); // "approve <wave>" approves only those waiting now
        var (approveExit, approveOutput) = await workspace.DmigAsync("approve", "manual");
        await WaitForStateAsync(workspace, "manual", "gamma", DatabaseState.AwaitingApproval);
        await workspace.DmigAsync("approve", "manual", "gamma");
        var (exit, output) = await run;

        Assert.True(approveExit == DmigCommandLine.Success, approveOutput);
        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.NotNull(await workspace.TryWriteAsync("alpha")); // cut over: read-only now
    }

    [Fact]
    public async Task WritesToTheSourceBeforeCutover_AreCarriedOverByTheFinalSync()
    {
        using var workspace = new WaveWorkspace();
        var run = workspace.DmigAsync("run", workspace.WriteManifest("late-writes", approval: "manual"));
        await WaitForStateAsync(workspace, "late-writes", "alpha", DatabaseState.AwaitingApproval);

        await using (var connection = new SqliteConnection($"Data Source={workspace.SourcePath("alpha")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO items (name, amount) VALUES ('written-after-the-copy', 7)";
            await command.ExecuteNonQueryAsync();
        }

        await WaitForStateAsync(workspace, "late-writes", "beta", DatabaseState.AwaitingApproval); // "approve <wave>" approves only those waiting now
        await workspace.DmigAsync("approve", "late-writes");
        await WaitForStateAsync(workspace, "late-writes", "gamma", DatabaseState.AwaitingApproval);
        await workspace.DmigAsync("approve", "late-writes");
        var (exit, output) = await run;

        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.Equal(await WaveWorkspace.FingerprintAsync(workspace.SourcePath("alpha")), await WaveWorkspace.FingerprintAsync(workspace.TargetPath("alpha")));
        var alpha = (await WaveRunTests.ResultAsync(workspace, "late-writes")).Databases.Single(d => d.Database == "alpha");
        Assert.Equal(WaveWorkspace.RowsPerTable * 2, alpha.Rows); // the copy, before the late write
        Assert.Equal(2, alpha.FinalSync!.ChangedRows); // exactly the late row and the audit row its trigger wrote, not a re-copy
        Assert.True(alpha.WriteBlocked > TimeSpan.Zero);
    }

    [Fact]
    public async Task Approve_WhenNothingAwaitsApproval_IsRefused()
    {
        using var workspace = new WaveWorkspace();
        await workspace.DmigAsync("run", workspace.WriteManifest("done"));

        var (exit, output) = await workspace.DmigAsync("approve", "done");

        Assert.Equal(DmigCommandLine.NotCompleted, exit);
        Assert.Contains("already finished", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_OfADatabaseThatNeedsAttention_ShowsItsWholeCause()
    {
        using var workspace = new WaveWorkspace();
        var run = workspace.DmigAsync("run", workspace.WriteManifest("cause", onFailure: "askOperator"), "--drill", "beta:postValidate");

        await WaitForStateAsync(workspace, "cause", "beta", DatabaseState.NeedsAttention);
        var status = await workspace.DmigSplitAsync("status", "cause");
        await workspace.DmigAsync("rollback", "cause");
        await run;

        // The drill's cause runs well past the 70 characters a progress note is cut to.
        // The table wraps it within the detail column, its last: join that column's pieces, line by line.
        var pieces = status.Stdout.Split('\n').Select(l => l.Split('│')).Where(c => c.Length > 2).Select(c => c[^2].Trim());
        string detail = string.Join(' ', pieces);
        Assert.True(detail.Contains("(dmig run --drill beta:postValidate). Waiting for dmig retry cause beta", StringComparison.Ordinal), status.Stdout);
    }

    [Fact]
    public async Task AskOperator_RetryRerunsTheFailedStepAndCompletesTheWave()
    {
        using var workspace = new WaveWorkspace();
        var run = workspace.DmigAsync("run", workspace.WriteManifest("ask", onFailure: "askOperator"), "--drill", "beta:postValidate");

        await WaitForStateAsync(workspace, "ask", "beta", DatabaseState.NeedsAttention);
        var (retryExit, retryOutput) = await workspace.DmigAsync("retry", "ask", "beta");
        var (exit, output) = await run;

        Assert.True(retryExit == DmigCommandLine.Success, retryOutput);
        Assert.True(exit == DmigCommandLine.Success, output);
        var result = await WaveRunTests.ResultAsync(workspace, "ask");
        var beta = result.Databases.Single(d => d.Database == "beta");
        Assert.Equal(DatabaseState.Completed, beta.State);
        Assert.Contains(beta.Steps, s => s.Step == MigrationStep.PostValidate && !s.Succeeded);
        Assert.Contains(beta.Steps, s => s.Step == MigrationStep.PostValidate && s.Succeeded);
    }

    [Fact]
    public async Task AskOperator_RollbackCommandRollsTheRunningWaveBack()
    {
        using var workspace = new WaveWorkspace();
        var run = workspace.DmigAsync("run", workspace.WriteManifest("ask-rollback", onFailure: "askOperator"), "--drill", "beta:cutover");

        await WaitForStateAsync(workspace, "ask-rollback", "beta", DatabaseState.NeedsAttention);
        var (rollbackExit, rollbackOutput) = await workspace.DmigAsync("rollback", "ask-rollback");
        var (exit, _) = await run;

        Assert.True(rollbackExit == DmigCommandLine.Success, rollbackOutput);
        Assert.Equal(DmigCommandLine.NotCompleted, exit);
        var result = await WaveRunTests.ResultAsync(workspace, "ask-rollback");
        Assert.Equal(WaveOutcome.RolledBack, result.Outcome);
        Assert.All(result.Databases.Where(d => d.Database != "gamma"), d => Assert.Equal(DatabaseState.RolledBack, d.State));
        Assert.Null(await workspace.TryWriteAsync("alpha"));
        Assert.Null(await workspace.TryWriteAsync("beta"));
    }

    [Fact]
    public async Task Secrets_ResolvedFromReferences_NeverReachHistoryStatusOutputOrLogs()
    {
        const string marker = "s3cr3t-7f3a9c";
        using var workspace = new WaveWorkspace(secretMarker: marker);
        foreach (string database in new[] { "alpha", "beta", "gamma" })
        {
            Environment.SetEnvironmentVariable($"DMIG_SECRET_TEST_{database.ToUpperInvariant()}", $"Data Source={workspace.SourcePath(database)}");
        }

        string manifest = workspace.WriteManifest("secret", sourceConnection: db => $"env:DMIG_SECRET_TEST_{db.ToUpperInvariant()}");
        var (exit, output) = await workspace.DmigAsync("run", manifest, "--drill", "gamma:postValidate");
        var (_, json) = await workspace.DmigAsync("status", "secret", "--json");

        Assert.Equal(DmigCommandLine.NotCompleted, exit); // the drill makes a failure path run too
        Assert.DoesNotContain(marker, output, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, json, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, await DumpTaskHubAsync(workspace), StringComparison.Ordinal);
        foreach (string log in Directory.GetFiles(Path.Combine(workspace.DataDirectory, "logs")))
        {
            Assert.DoesNotContain(marker, await ReadSharedAsync(log), StringComparison.Ordinal);
        }
    }

    internal static async Task WaitForStateAsync(WaveWorkspace workspace, string wave, string database, DatabaseState state)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var host = DmigHost.Create(workspace.DataDirectory);
        while (true)
        {
            var view = await WaveView.LoadAsync(host.Client, wave, timeout.Token);
            if (view is not null && view.StateOf(database) == state)
            {
                return;
            }

            Assert.False(view?.Wave.IsCompleted ?? false, $"wave {wave} finished before {database} reached {state}");
            await Task.Delay(50, timeout.Token);
        }
    }

    private static async Task<string> DumpTaskHubAsync(WaveWorkspace workspace)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(workspace.DataDirectory, "taskhub.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT Payload FROM History
            UNION ALL SELECT Payload FROM NewEvents
            UNION ALL SELECT coalesce(Input, '') || coalesce(Output, '') || coalesce(CustomStatus, '') || coalesce(FailureDetails, '') FROM Instances
            UNION ALL SELECT Input FROM InstanceInputs
            UNION ALL SELECT Output FROM InstanceOutputs
            UNION ALL SELECT CustomStatus FROM InstanceCustomStatus
            UNION ALL SELECT coalesce(Input, '') FROM ActivityTasks
            """;
        var all = new System.Text.StringBuilder();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            all.AppendLine(reader.GetString(0));
        }

        Assert.True(all.Length > 1000, "the task hub should hold the wave's history");
        return all.ToString();
    }

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
