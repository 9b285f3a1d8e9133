using System.Text.Json.Nodes;
using DurableMigration.Host.Commands;
using DurableMigration.Monitoring;

namespace DurableMigration.ScaleOut.Tests;

/// <summary>Waves on the Azure Storage backend (Azurite) run by real <c>dmig worker</c> processes sharing one task hub.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TwoWorkerTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task SampleWave_CompletesOnTwoWorkerProcesses_AndBothRanActivities()
    {
        // Copies long enough (tenths of a second) that alpha's and beta's overlap; each worker takes one activity at a time
        // and polls often, so while one copies, the other takes the next: a fast worker cannot take every activity.
        await using var workspace = new ScaleOutWorkspace(azurite.ConnectionString, "twoworkers" + Guid.NewGuid().ToString("N")[..8], rowsPerTable: 100_000);
        string manifest = workspace.WriteManifest("two-workers");
        await workspace.StartWorkerAsync("w1", "100ms", "--max-activities", "1");
        await workspace.StartWorkerAsync("w2", "100ms", "--max-activities", "1");

        var (exit, stdout, stderr) = await workspace.DmigAsync("run", manifest, "-o", "json");

        Assert.True(exit == DmigCommandLine.Success, stderr);
        var status = JsonNode.Parse(stdout)!;
        Assert.Equal("Completed", (string?)status["runtimeStatus"]);
        Assert.Equal("Completed", (string?)status["output"]!["outcome"]);
        foreach (string database in ScaleOutWorkspace.Databases)
        {
            Assert.Equal(await ScaleOutWorkspace.FingerprintAsync(workspace.SourcePath(database)), await ScaleOutWorkspace.FingerprintAsync(workspace.TargetPath(database)));
        }

        string log = workspace.WorkerLog();
        Assert.Contains("of two-workers:alpha started on worker w", log, StringComparison.Ordinal);
        Assert.Contains("started on worker w1", log, StringComparison.Ordinal);
        Assert.Contains("started on worker w2", log, StringComparison.Ordinal);

        // Both workers append the records of the turns they ran to the shared data directory's records.jsonl: each
        // transition is there once, however the turns were shared out and replayed (the Durable Task Framework replays).
        var records = await workspace.RecordsOfAsync("two-workers", r => r.Kind == MigrationRecordKinds.Wave && r.Status == "Completed");
        var steps = records.Where(r => r.Kind == MigrationRecordKinds.Step).Select(r => $"{r.Database} {r.Step} {r.Status}").Order(StringComparer.Ordinal);
        var expected = from database in ScaleOutWorkspace.Databases
                       from step in new[] { "validate", "migrate", "cutover", "postValidate", "remediate" }
                       from state in new[] { "Started", "Succeeded" }
                       select $"{database} {step} {state}";
        Assert.Equal(expected.Order(StringComparer.Ordinal), steps);
    }

    [Fact]
    public async Task WorkerKilledMidWave_AnotherWorkerFinishesIt_WithNothingLostOrMigratedTwice()
    {
        await using var workspace = new ScaleOutWorkspace(azurite.ConnectionString, "killed" + Guid.NewGuid().ToString("N")[..8]);
        string manifest = workspace.WriteManifest("killed", approval: "manual");
        var victim = await workspace.StartWorkerAsync("victim");
        var (submitted, _, submitError) = await workspace.DmigAsync("run", manifest, "--no-wait", "-o", "json");
        Assert.True(submitted == DmigCommandLine.Success, submitError);

        // Mid-wave: alpha and beta copied and waiting for approval, gamma not started; the victim holds every partition.
        await workspace.WaitForStatusAsync("killed", s => ((string?)s["customStatus"]?["states"])?.StartsWith("aa", StringComparison.Ordinal) == true);
        var survivor = await workspace.StartWorkerAsync("survivor");
        victim.Kill(entireProcessTree: true); // SIGKILL: no shutdown, its leases and messages are left to expire
        await victim.WaitForExitAsync();

        Assert.Equal(DmigCommandLine.Success, (await workspace.DmigAsync("approve", "killed")).ExitCode);
        await workspace.WaitForStatusAsync("killed", s => ((string?)s["customStatus"]?["states"]) is "CCa");
        Assert.Equal(DmigCommandLine.Success, (await workspace.DmigAsync("approve", "killed", "gamma")).ExitCode);
        var (exit, stdout, stderr) = await workspace.DmigAsync("watch", "killed", "-o", "json");

        Assert.True(exit == DmigCommandLine.Success, stderr + stdout);
        Assert.False(survivor.HasExited);
        var databases = JsonNode.Parse(stdout)!["output"]!["databases"]!.AsArray();
        Assert.Equal(ScaleOutWorkspace.Databases, databases.Select(d => (string?)d!["database"]));
        Assert.All(databases, d => Assert.Equal("Completed", (string?)d!["state"]));
        foreach (string database in ScaleOutWorkspace.Databases)
        {
            // Same rows and digest: nothing lost, nothing copied twice into the target.
            Assert.Equal(await ScaleOutWorkspace.FingerprintAsync(workspace.SourcePath(database)), await ScaleOutWorkspace.FingerprintAsync(workspace.TargetPath(database)));
        }

        // Each database ran as exactly one sub-orchestration of the wave, and the survivor ran gamma's work.
        var history = JsonNode.Parse((await workspace.DmigAsync("history", "killed", "-o", "json")).Stdout)!.AsArray();
        var started = history.Where(e => ((string?)e!["eventType"])?.StartsWith("SubOrchestrationInstanceCreated", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(3, started.Count);
        Assert.Contains("of killed:gamma started on worker survivor", workspace.WorkerLog(), StringComparison.Ordinal);
    }
}
