using Microsoft.Data.Sqlite;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Engine.CrashHost;

/// <summary>The orchestration the crash-recovery test kills mid-way: a run of steps, each recording its side effect in a file.</summary>
public static class CrashWorkload
{
    /// <summary>The orchestrator name.</summary>
    public const string OrchestratorName = "CrashSequence";

    /// <summary>The activity name.</summary>
    public const string ActivityName = "RecordStep";

    /// <summary>The fixed instance id the host and the test share.</summary>
    public const string InstanceId = "crash-drill";

    /// <summary>Registers the orchestration and its activity; <paramref name="effectsPath"/> is the SQLite file where each run of a step leaves a row.</summary>
    /// <param name="registry">Where to register.</param>
    /// <param name="effectsPath">The SQLite file of side effects.</param>
    /// <param name="onStepRecorded">Called after each step's effect is committed.</param>
    public static void Register(DurableTaskRegistry registry, string effectsPath, Action<int>? onStepRecorded = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddOrchestratorFunc<int, List<int>>(OrchestratorName, async (context, steps) =>
        {
            var results = new List<int>();
            for (int i = 0; i < steps / 2; i++)
            {
                results.Add(await context.CallActivityAsync<int>(ActivityName, i));
            }

            // The second half fans out, so a kill can also land while many activities are in flight.
            var parallel = Enumerable.Range(steps / 2, steps - (steps / 2)).Select(i => context.CallActivityAsync<int>(ActivityName, i));
            results.AddRange(await Task.WhenAll(parallel));
            return results;
        });

        // The SDK passes activities no token: the engine's stopping token hands a step back when the engine stops.
        registry.AddActivity(ActivityName, services => new RecordStep(effectsPath, services.GetRequiredService<DurableEngine>(), onStepRecorded));
    }

    private sealed class RecordStep(string effectsPath, DurableEngine engine, Action<int>? onStepRecorded) : TaskActivity<int, int>
    {
        public override async Task<int> RunAsync(TaskActivityContext context, int input)
        {
            CancellationToken cancellationToken = engine.StoppingToken;
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            await using var connection = new SqliteConnection($"Data Source={effectsPath};Pooling=False;Default Timeout=60");
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA busy_timeout = 60000; CREATE TABLE IF NOT EXISTS Effects (Step INTEGER NOT NULL, ProcessId INTEGER NOT NULL); INSERT INTO Effects VALUES ($step, $pid);";
            command.Parameters.AddWithValue("$step", input);
            command.Parameters.AddWithValue("$pid", Environment.ProcessId);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            onStepRecorded?.Invoke(input);
            return input;
        }
    }
}
