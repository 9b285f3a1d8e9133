using System.Diagnostics;
using System.Text.Json;
using DurableMigration.Engine.CrashHost;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Engine.Tests;

/// <summary>A real process runs an orchestration and is killed with SIGKILL mid-way; this process resumes it from the same file.</summary>
[Collection(CrashDrillCollection.Name)]
public sealed class CrashRecoveryTests
{
    private const int Steps = 60;

    [Fact]
    public async Task KilledProcess_IsResumedByTheNextOne_AndEveryStepIsRecordedExactlyOnceInTheResult()
    {
        string directory = EngineHarness.NewDirectory();
        string taskHub = Path.Combine(directory, "taskhub.db");
        string effects = Path.Combine(directory, "effects.db");

        using (var victim = StartCrashHost(taskHub, effects))
        {
            using var cts = new CancellationTokenSource(EngineHarness.Patience);
            // Kill once a third of the steps have committed their effect: mid-way through the sequential half.
            int recorded = 0;
            while (recorded < Steps / 3)
            {
                string? line = await victim.StandardOutput.ReadLineAsync(cts.Token)
                    ?? throw new InvalidOperationException($"The crash host exited early: {await victim.StandardError.ReadToEndAsync(cts.Token)}");
                if (line.StartsWith("step ", StringComparison.Ordinal))
                {
                    recorded++;
                }
            }

            victim.Kill(entireProcessTree: true); // SIGKILL on Linux: no shutdown code runs
            await victim.WaitForExitAsync(cts.Token);
        }

        var beforeResume = (await ReadEffectsAsync(effects)).Total;
        await using var survivor = await EngineHarness.StartAsync(r => CrashWorkload.Register(r, effects), taskHubPath: taskHub);
        var result = await survivor.WaitAsync(CrashWorkload.InstanceId);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        var steps = JsonSerializer.Deserialize<List<int>>(result.SerializedOutput!)!;
        Assert.Equal(Enumerable.Range(0, Steps), steps); // every step exactly once, in order
        var (total, distinct, byVictim) = await ReadEffectsAsync(effects);
        Assert.Equal(Steps, distinct); // every activity ran...
        Assert.True(total >= Steps); // ...at least once (a step cut off by the kill may have run twice)
        Assert.True(byVictim >= Steps / 3 && byVictim < Steps, $"the victim did {byVictim} of {Steps} steps before it died (counted {beforeResume} after the kill; total {total}, self {Environment.ProcessId})");
        Assert.True(beforeResume < Steps);
        Assert.Contains(survivor.Logs.Lines, l => l.EventId.Id == 3); // the dead worker's locks were released at start
    }

    private static Process StartCrashHost(string taskHub, string effects)
    {
        string hostDll = Path.Combine(AppContext.BaseDirectory, "DurableMigration.Engine.CrashHost.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(hostDll);
        info.ArgumentList.Add(taskHub);
        info.ArgumentList.Add(effects);
        info.ArgumentList.Add(Steps.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the crash host.");
    }

    private static async Task<(int Total, int Distinct, int ByVictim)> ReadEffectsAsync(string effects)
    {
        await using var connection = new SqliteConnection($"Data Source={effects};Pooling=False;Default Timeout=60");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COUNT(*), COUNT(DISTINCT Step), COALESCE(SUM(ProcessId <> $self), 0) FROM Effects
            """;
        command.Parameters.AddWithValue("$self", Environment.ProcessId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
    }
}

/// <summary>Runs the crash drill alone, so other tests' load cannot delay the kill past the victim's last step.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CrashDrillCollection
{
    public const string Name = "Crash drill";
}
