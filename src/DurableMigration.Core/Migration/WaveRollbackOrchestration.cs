using DurableMigration.Manifest;
using DurableMigration.Monitoring;
using Microsoft.DurableTask;

namespace DurableMigration.Migration;

/// <summary>The input of a finished wave's rollback.</summary>
/// <param name="Manifest">The wave's manifest.</param>
/// <param name="Previous">The wave's result, whose completed databases carry their registered compensations.</param>
/// <param name="TargetWrites">What to do with writes consumers made to a target after cutover; refuse by default.</param>
/// <param name="RetryFailed">Also re-run the compensations that failed before (databases <see cref="DatabaseState.Failed"/> with compensations still registered): <c>dmig rollback --retry</c>.</param>
public sealed record WaveRollbackInput(WaveManifest Manifest, WaveResult Previous, TargetWrites TargetWrites = TargetWrites.Refuse, bool RetryFailed = false)
{
    /// <summary>Gets the id of the change ticket the rollback runs under, if any: it goes into the rollback's migration records.</summary>
    public string? TicketId { get; init; }
}

/// <summary>Rolls back a finished wave: compensates its completed databases in reverse dependency order.</summary>
/// <remarks>
/// <para>Started by <c>dmig rollback</c> for a wave that already ended, under the id <c>{wave}:rollback</c>. With
/// <see cref="WaveRollbackInput.RetryFailed"/> (<c>dmig rollback --retry</c>) it also re-runs the compensations that
/// failed before, from the previous rollback's result (or the wave's, when the wave rolled back while running).</para>
/// <para>Orchestrator code: replayed, so it follows the determinism rules in the remarks of <see cref="WaveOrchestration"/>.</para>
/// </remarks>
public sealed class WaveRollbackOrchestration : TaskOrchestrator<WaveRollbackInput, WaveResult>
{
    /// <inheritdoc/>
    public override async Task<WaveResult> RunAsync(TaskOrchestrationContext context, WaveRollbackInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var manifest = input.Manifest;
        var recorder = new MigrationRecorder(context, manifest.Wave, input.TicketId);
        DateTime started = context.CurrentUtcDateTime;
        recorder.Wave("Started", step: "rollback");
        var results = input.Previous.Databases.ToDictionary(r => r.Database, StringComparer.OrdinalIgnoreCase);
        var order = new List<string>();
        foreach (string name in DependencyGraph.TopologicalOrder(manifest.Databases).Reverse())
        {
            if (!results.TryGetValue(name, out var previous) || !IsToRollBack(previous, input.RetryFailed))
            {
                continue;
            }

            var database = manifest.Databases.First(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
            context.SetCustomStatus(Status(manifest, "rollingBack", results));
#pragma warning disable CA2007 // Orchestrator code: continuations stay on the orchestrator thread.
            var records = await CompensationRunner.RunAsync(context, recorder, manifest.Wave, database, previous.Registered, manifest.Alerts.Webhook, input.TargetWrites);
#pragma warning restore CA2007
            if (records.Any(r => r.Refused))
            {
                // Nothing was undone: the database stays completed, with its compensations, for a rollback with a choice.
                results[name] = previous with { CompensationsRun = [.. previous.CompensationsRun, .. records] };
                continue;
            }

            results[name] = previous with
            {
                State = records.Any(r => !r.Succeeded) ? DatabaseState.Failed : DatabaseState.RolledBack,
                Registered = CompensationRunner.StillRegistered(previous.Registered, records),
                CompensationsRun = [.. previous.CompensationsRun, .. records],
            };
            order.Add(name);
        }

        var ordered = manifest.Databases.Select(d => results[d.Name]).ToList();
        context.SetCustomStatus(Status(manifest, "finished", results));
        var outcome = ordered.Any(r => r.State == DatabaseState.Failed) ? WaveOutcome.Failed
            : ordered.Any(r => r.State == DatabaseState.Completed) ? WaveOutcome.PartiallyCompleted
            : WaveOutcome.RolledBack;
        recorder.Wave(outcome.ToString(), (long)(context.CurrentUtcDateTime - started).TotalMilliseconds, "rollback");
        return new WaveResult(manifest.Wave, outcome, ordered, input.Previous.Assessment, order);
    }

    /// <summary>Completed databases are rolled back; failed ones whose compensations failed, when retrying.</summary>
    private static bool IsToRollBack(DatabaseMigrationResult database, bool retryFailed) =>
        database.State == DatabaseState.Completed || (retryFailed && database.State == DatabaseState.Failed && database.Registered.Count > 0);

    /// <summary>The wave's status: each database's state in manifest order.</summary>
    private static WaveStatus Status(WaveManifest manifest, string phase, Dictionary<string, DatabaseMigrationResult> results) =>
        WaveStatus.Create(manifest.Wave, phase, [.. manifest.Databases.Select(d => results[d.Name].State)]);
}
