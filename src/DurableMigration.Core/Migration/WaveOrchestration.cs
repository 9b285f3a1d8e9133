using DurableMigration.Manifest;
using DurableMigration.Providers;
using Microsoft.DurableTask;

namespace DurableMigration.Migration;

/// <summary>Runs a wave: pre-flight assessment of every database, then one <see cref="DatabaseMigrationOrchestration"/> per database in dependency order, bounded by <c>maxParallel</c>.</summary>
/// <remarks>
/// <para>Any blocking finding (or an assessment that cannot run) stops the wave before anything is touched.
/// Among databases whose dependencies have completed, higher priority starts first, then manifest order.</para>
/// <para>When a database ends rolled back: <see cref="FailureAction.RollbackWave"/> stops scheduling, waits for the
/// running databases, and compensates every completed database in reverse dependency order;
/// <see cref="FailureAction.RollbackDatabase"/> and <see cref="FailureAction.AskOperator"/> skip its dependents and
/// carry on with the rest. A <c>Rollback</c> event to the wave does what <c>rollbackWave</c> does; <c>dmig rollback</c>
/// also sends it to each running database so a database waiting for approval stops waiting.</para>
/// <para>Orchestrator code is replayed: after every awaited task completes, the runtime may run the method again from
/// the start, feeding it the recorded results, until it reaches the point where it stopped. It must therefore make
/// the same calls in the same order on every run. This holds for all three migration orchestrators:</para>
/// <list type="bullet">
/// <item>no <see cref="DateTime.UtcNow"/>, <see cref="Guid.NewGuid"/>, <see cref="Random"/> or environment reads: use
/// <see cref="TaskOrchestrationContext.CurrentUtcDateTime"/> and <see cref="TaskOrchestrationContext.NewGuid"/>;</item>
/// <item>no I/O, no services, no static mutable state: do that work in activities;</item>
/// <item>await only tasks returned by the context (and <c>Task.WhenAll</c>/<c>Task.WhenAny</c> over them); never
/// <c>Task.Run</c>, <c>Task.Delay</c> or <c>ConfigureAwait(false)</c>; cancel timers with <c>Cancel</c>, not
/// <c>CancelAsync</c>, so callbacks stay on the orchestrator thread;</item>
/// <item>log through <see cref="TaskOrchestrationContext.CreateReplaySafeLogger(string)"/> so replays do not log twice;</item>
/// <item>change the order or names of calls only with a new orchestration name: running instances replay the old
/// history and fail with a non-determinism error otherwise.</item>
/// </list>
/// <para>The Durable Task analyzers (<c>DURABLE0001</c>–<c>DURABLE0011</c>) check part of this at build time. The same
/// class runs unchanged on the embedded runtime, Microsoft's in-process runtime, the Durable Task Framework and Azure
/// Durable Functions.</para>
/// </remarks>
public sealed class WaveOrchestration : TaskOrchestrator<WaveInput, WaveResult>
{
    /// <inheritdoc/>
    public override async Task<WaveResult> RunAsync(TaskOrchestrationContext context, WaveInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var manifest = input.Manifest;
        var databases = manifest.Databases;
        var states = databases.ToDictionary(d => d.Name, d => d.DependsOn.Count > 0 ? DatabaseState.AwaitingDependencies : DatabaseState.Pending, StringComparer.OrdinalIgnoreCase);
        void Publish(string phase) => context.SetCustomStatus(new WaveStatus(manifest.Wave, phase, new Dictionary<string, DatabaseState>(states)));

#pragma warning disable CA2007 // Orchestrator code: continuations stay on the orchestrator thread.
        // 1. Pre-flight: assess everything before touching anything.
        foreach (var database in databases)
        {
            states[database.Name] = DatabaseState.Validating;
        }

        Publish("assessing");
        var assessment = await Task.WhenAll(databases.Select(d => AssessAsync(context, manifest.Wave, d, input.Drill)));
        if (assessment.Any(a => a.IsBlocked))
        {
            var blocked = assessment.Where(a => a.IsBlocked).ToDictionary(a => a.Database, StringComparer.OrdinalIgnoreCase);
            foreach (var database in databases)
            {
                states[database.Name] = DatabaseState.Skipped;
            }

            Publish("finished");
            string summary = string.Join("; ", blocked.Values.SelectMany(a => a.Findings.Where(f => f.Severity == FindingSeverity.Blocking).Select(f => $"{a.Database}: {f.Message}")));
            await CompensationRunner.AlertAsync(context, manifest.Wave, null, "error", $"Wave {manifest.Wave} blocked by assessment: {summary}", manifest.Alerts.Webhook);
            var skipped = databases.Select(d => new DatabaseMigrationResult(d.Name, DatabaseState.Skipped)
            {
                Error = blocked.TryGetValue(d.Name, out var report)
                    ? string.Join("; ", report.Findings.Where(f => f.Severity == FindingSeverity.Blocking).Select(f => f.Message))
                    : "not started: another database of the wave is blocked",
                FailedStep = blocked.ContainsKey(d.Name) ? MigrationStep.Validate : null,
            }).ToList();
            return new WaveResult(manifest.Wave, WaveOutcome.Blocked, skipped, assessment, []);
        }

        // 2. Databases in dependency order, at most maxParallel at a time.
        foreach (var database in databases)
        {
            states[database.Name] = database.DependsOn.Count > 0 ? DatabaseState.AwaitingDependencies : DatabaseState.Pending;
        }

        Publish("migrating");
        Task<string?> rollbackRequested = context.WaitForExternalEvent<string?>(MigrationNames.RollbackEvent);
        var results = new Dictionary<string, DatabaseMigrationResult>(StringComparer.OrdinalIgnoreCase);
        var running = new Dictionary<Task<DatabaseMigrationResult>, DatabaseSpec>();
        var waiting = databases.ToList();
        var manifestOrder = databases.Select((d, i) => (d.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.OrdinalIgnoreCase);
        bool rollBackWave = false;
        while (true)
        {
            if (!rollBackWave)
            {
                var ready = waiting
                    .Where(d => d.DependsOn.All(dep => results.TryGetValue(dep, out var r) && r.State == DatabaseState.Completed))
                    .OrderByDescending(d => d.Priority)
                    .ThenBy(d => manifestOrder[d.Name])
                    .Take(manifest.MaxParallel - running.Count)
                    .ToList();
                foreach (var database in ready)
                {
                    waiting.Remove(database);
                    states[database.Name] = DatabaseState.Migrating;
                    running.Add(StartDatabase(context, input, database), database);
                }

                Publish("migrating");
            }

            if (running.Count == 0)
            {
                break;
            }

            var waitOn = rollBackWave ? running.Keys.Cast<Task>() : running.Keys.Cast<Task>().Append(rollbackRequested);
            Task finished = await Task.WhenAny(waitOn);
            if (finished == rollbackRequested && !rollBackWave)
            {
                // Requested: stop scheduling, let the running databases end, then compensate.
                rollBackWave = true;
                Publish("rollingBack");
                continue;
            }

            var task = (Task<DatabaseMigrationResult>)finished;
            var spec = running[task];
            running.Remove(task);
            var result = await task;
            results[spec.Name] = result;
            states[spec.Name] = result.State;
            if (result.State == DatabaseState.Completed)
            {
                continue;
            }

            if (manifest.OnFailure.Action == FailureAction.RollbackWave)
            {
                rollBackWave = true;
            }
            else
            {
                foreach (var dependent in DependentsOf(databases, spec.Name).Where(waiting.Contains).ToList())
                {
                    waiting.Remove(dependent);
                    states[dependent.Name] = DatabaseState.Skipped;
                    results[dependent.Name] = new DatabaseMigrationResult(dependent.Name, DatabaseState.Skipped) { Error = $"not started: depends on '{spec.Name}', which did not complete" };
                }
            }
        }

        foreach (var database in waiting)
        {
            states[database.Name] = DatabaseState.Skipped;
            results[database.Name] = new DatabaseMigrationResult(database.Name, DatabaseState.Skipped) { Error = "not started: the wave is rolling back" };
        }

        // 3. Roll back completed databases, dependents first.
        var rollbackOrder = new List<string>();
        if (rollBackWave)
        {
            Publish("rollingBack");
            foreach (var database in DependencyGraph.TopologicalOrder(databases).Reverse().Select(name => databases.First(d => d.Name == name)))
            {
                if (results[database.Name] is not { State: DatabaseState.Completed } completed)
                {
                    continue;
                }

                states[database.Name] = DatabaseState.RollingBack;
                Publish("rollingBack");
                var records = await CompensationRunner.RunAsync(context, manifest.Wave, database, completed.Registered, manifest.Alerts.Webhook);
                var state = records.Any(r => !r.Succeeded) ? DatabaseState.Failed : DatabaseState.RolledBack;
                results[database.Name] = completed with { State = state, Registered = [], CompensationsRun = records };
                states[database.Name] = state;
                rollbackOrder.Add(database.Name);
            }
        }
#pragma warning restore CA2007

        Publish("finished");
        var ordered = databases.Select(d => results[d.Name]).ToList();
        return new WaveResult(manifest.Wave, Outcome(ordered, rollBackWave), ordered, assessment, rollbackOrder);
    }

    private static WaveOutcome Outcome(IReadOnlyList<DatabaseMigrationResult> results, bool rolledBack)
    {
        if (results.Any(r => r.State == DatabaseState.Failed))
        {
            return WaveOutcome.Failed;
        }

        if (results.All(r => r.State == DatabaseState.Completed))
        {
            return WaveOutcome.Completed;
        }

        return rolledBack || results.All(r => r.State != DatabaseState.Completed) ? WaveOutcome.RolledBack : WaveOutcome.PartiallyCompleted;
    }

    private static async Task<AssessmentReport> AssessAsync(TaskOrchestrationContext context, string wave, DatabaseSpec database, DrillSpec? drill)
    {
        bool inject = drill is { Step: MigrationStep.Validate } && string.Equals(drill.Database, database.Name, StringComparison.OrdinalIgnoreCase);
        try
        {
#pragma warning disable CA2007 // Orchestrator code: continuations stay on the orchestrator thread.
            return await context.CallActivityAsync<AssessmentReport>(
                MigrationActivityNames.ValidateDatabase, new DatabaseStepInput(wave, database, inject), CompensationRunner.ActivityRetry);
#pragma warning restore CA2007
        }
        catch (TaskFailedException ex)
        {
            // An assessment that cannot run is as blocking as a finding: nothing may be touched.
            return new AssessmentReport(database.Name, "unknown", 0, 0,
                [new AssessmentFinding("assessment.failed", FindingSeverity.Blocking, $"assessment could not run: {CompensationRunner.Describe(ex)}")]);
        }
    }

    private static async Task<DatabaseMigrationResult> StartDatabase(TaskOrchestrationContext context, WaveInput input, DatabaseSpec database)
    {
        var manifest = input.Manifest;
        MigrationStep? failAt = input.Drill is { } drill && string.Equals(drill.Database, database.Name, StringComparison.OrdinalIgnoreCase) && drill.Step != MigrationStep.Validate
            ? drill.Step
            : null;
        var databaseInput = new DatabaseMigrationInput(
            manifest.Wave, database, manifest.Mode, manifest.Cutover, manifest.Alerts, manifest.OnFailure, failAt, input.MonitorInterval ?? TimeSpan.FromSeconds(2));
        try
        {
#pragma warning disable CA2007 // Orchestrator code: continuations stay on the orchestrator thread.
            return await context.CallSubOrchestratorAsync<DatabaseMigrationResult>(
                MigrationNames.DatabaseMigrationOrchestration,
                databaseInput,
                new SubOrchestrationOptions(instanceId: MigrationNames.DatabaseInstanceId(manifest.Wave, database.Name)));
#pragma warning restore CA2007
        }
        catch (TaskFailedException ex)
        {
            // The database orchestration itself broke (not a step: those it handles): nothing is known to be undone.
            return new DatabaseMigrationResult(database.Name, DatabaseState.Failed) { Error = $"database orchestration failed: {CompensationRunner.Describe(ex)}" };
        }
    }

    /// <summary>Every database that depends, directly or not, on <paramref name="name"/>.</summary>
    private static IEnumerable<DatabaseSpec> DependentsOf(IReadOnlyList<DatabaseSpec> databases, string name)
    {
        var found = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { name };
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach (var database in databases)
            {
                if (!found.Contains(database.Name) && database.DependsOn.Any(found.Contains))
                {
                    found.Add(database.Name);
                    grew = true;
                }
            }
        }

        return databases.Where(d => found.Contains(d.Name) && !string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
    }
}
