using DurableMigration.Manifest;
using DurableMigration.Monitoring;
using DurableMigration.Providers;
using Microsoft.DurableTask;

namespace DurableMigration.Migration;

/// <summary>Runs a wave: pre-flight assessment of every database, then one <see cref="DatabaseMigrationOrchestration"/> per database in dependency order, bounded by <c>maxParallel</c>.</summary>
/// <remarks>
/// <para>Any blocking finding (or an assessment that cannot run) stops the wave before anything is touched.
/// Among databases whose dependencies have completed, higher priority starts first, then manifest order.
/// Progress is published as a compact <see cref="WaveStatus"/> (counts per state and one state code per database), and
/// only when a database's state or the phase changed.</para>
/// <para>A database's own orchestration runs its steps; it tells the wave (a <c>DatabaseState</c> event) when it
/// enters or leaves awaiting approval, needs attention, syncing or cutting over, so the wave's status says where each
/// database really is and lists those that wait for an operator, with the command to run
/// (<see cref="WaveStatus.Attention"/>).</para>
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
        var plan = new Plan(databases);
        var states = new WaveStates(context, manifest.Wave, input.Ticket?.Id, databases.Count);
        var recorder = new MigrationRecorder(context, manifest.Wave, input.Ticket?.Id);
        DateTime started = context.CurrentUtcDateTime;
        recorder.Wave("Started");

#pragma warning disable CA2007 // Orchestrator code: continuations stay on the orchestrator thread.
        // 1. Pre-flight: assess everything before touching anything.
        states.SetAll(DatabaseState.Validating);
        states.Publish("assessing");
        var assessment = await Task.WhenAll(databases.Select(d => AssessAsync(context, recorder, manifest.Wave, manifest.Mode, d, input.Drill)));
        if (assessment.Any(a => a.IsBlocked))
        {
            var blocked = assessment.Where(a => a.IsBlocked).ToDictionary(a => a.Database, StringComparer.OrdinalIgnoreCase);
            states.SetAll(DatabaseState.Skipped);
            states.Publish("finished");
            string summary = string.Join("; ", blocked.Values.SelectMany(a => a.Findings.Where(f => f.Severity == FindingSeverity.Blocking).Select(f => $"{a.Database}: {f.Message}")));
            await CompensationRunner.AlertAsync(context, recorder, manifest.Wave, null, "error", $"Wave {manifest.Wave} blocked by assessment: {summary}", manifest.Alerts.Webhook);
            var skipped = databases.Select(d => new DatabaseMigrationResult(d.Name, DatabaseState.Skipped)
            {
                Error = blocked.TryGetValue(d.Name, out var report)
                    ? string.Join("; ", report.Findings.Where(f => f.Severity == FindingSeverity.Blocking).Select(f => f.Message))
                    : "not started: another database of the wave is blocked",
                FailedStep = blocked.ContainsKey(d.Name) ? MigrationStep.Validate : null,
            }).ToList();
            recorder.Wave(nameof(WaveOutcome.Blocked), Elapsed(context, started), error: summary);
            return new WaveResult(manifest.Wave, WaveOutcome.Blocked, skipped, assessment, []);
        }

        // 2. Databases in dependency order, at most maxParallel at a time.
        for (int i = 0; i < databases.Count; i++)
        {
            states.Set(i, plan.InitialState(i));
        }

        states.Publish("migrating");
        Task<string?> rollbackRequested = context.WaitForExternalEvent<string?>(MigrationNames.RollbackEvent);
        Task<DatabaseStateChange> stateChanged = WaitForStateChange(context);
        var results = new DatabaseMigrationResult?[databases.Count];
        var running = new Dictionary<Task<DatabaseMigrationResult>, int>();
        bool rollBackWave = false;
        while (true)
        {
            if (!rollBackWave)
            {
                while (running.Count < manifest.MaxParallel && plan.TryTakeReady(out int next))
                {
                    states.Set(next, DatabaseState.Migrating);
                    running.Add(StartDatabase(context, input, databases[next]), next);
                }

                states.Publish("migrating");
            }

            if (running.Count == 0)
            {
                break;
            }

            var waitOn = running.Keys.Cast<Task>().Append(stateChanged);
            Task finished = await Task.WhenAny(rollBackWave ? waitOn : waitOn.Append(rollbackRequested));
            if (finished == stateChanged)
            {
                // A running database entered or left a state operators watch for (awaiting approval, needs attention, ...).
                var change = await stateChanged;
                stateChanged = WaitForStateChange(context);
                if (plan.TryIndexOf(change.Database, out int changed) && results[changed] is null && running.ContainsValue(changed))
                {
                    states.Set(changed, change.State, change.Next is null ? null : new WaveAttention(databases[changed].Name, change.State, change.Next, change.TimeoutAt));
                }

                if (rollBackWave)
                {
                    states.Publish("rollingBack");
                }

                continue;
            }

            if (finished == rollbackRequested && !rollBackWave)
            {
                // Requested: stop scheduling, let the running databases end, then compensate.
                rollBackWave = true;
                states.Publish("rollingBack");
                continue;
            }

            var task = (Task<DatabaseMigrationResult>)finished;
            int index = running[task];
            running.Remove(task);
            var result = await task;
            results[index] = result;
            states.Set(index, result.State);
            if (result.State == DatabaseState.Completed)
            {
                plan.Completed(index);
                continue;
            }

            if (manifest.OnFailure.Action == FailureAction.RollbackWave)
            {
                rollBackWave = true;
            }
            else
            {
                string failed = databases[index].Name;
                foreach (int dependent in plan.SkipDependentsOf(index))
                {
                    states.Set(dependent, DatabaseState.Skipped);
                    results[dependent] = new DatabaseMigrationResult(databases[dependent].Name, DatabaseState.Skipped) { Error = $"not started: depends on '{failed}', which did not complete" };
                }
            }
        }

        foreach (int waiting in plan.Waiting())
        {
            states.Set(waiting, DatabaseState.Skipped);
            results[waiting] = new DatabaseMigrationResult(databases[waiting].Name, DatabaseState.Skipped) { Error = "not started: the wave is rolling back" };
        }

        // 3. Roll back completed databases, dependents first.
        var rollbackOrder = new List<string>();
        if (rollBackWave)
        {
            states.Publish("rollingBack");
            foreach (string name in DependencyGraph.TopologicalOrder(databases).Reverse())
            {
                int index = plan.IndexOf(name);
                if (results[index] is not { State: DatabaseState.Completed } completed)
                {
                    continue;
                }

                var database = databases[index];
                states.Set(index, DatabaseState.RollingBack);
                states.Publish("rollingBack");
                var records = await CompensationRunner.RunAsync(context, recorder, manifest.Wave, database, completed.Registered, manifest.Alerts.Webhook);
                if (records.Any(r => r.Refused))
                {
                    // Consumers wrote to its target: it stays completed until `dmig rollback --copy-back|--discard-target-writes`.
                    results[index] = completed with { CompensationsRun = records };
                    states.Set(index, DatabaseState.Completed);
                    continue;
                }

                var state = records.Any(r => !r.Succeeded) ? DatabaseState.Failed : DatabaseState.RolledBack;
                results[index] = completed with { State = state, Registered = CompensationRunner.StillRegistered(completed.Registered, records), CompensationsRun = records };
                states.Set(index, state);
                rollbackOrder.Add(database.Name);
            }
        }
#pragma warning restore CA2007

        states.Publish("finished");
        var ordered = results.Select(r => r!).ToList();
        var outcome = Outcome(ordered, rollBackWave);
        recorder.Wave(outcome.ToString(), Elapsed(context, started));
        return new WaveResult(manifest.Wave, outcome, ordered, assessment, rollbackOrder);
    }

    private static long Elapsed(TaskOrchestrationContext context, DateTime since) => (long)(context.CurrentUtcDateTime - since).TotalMilliseconds;

    /// <summary>The next state change a database reports; a few per database, so the wave's history stays bounded by its databases.</summary>
    private static Task<DatabaseStateChange> WaitForStateChange(TaskOrchestrationContext context) =>
        context.WaitForExternalEvent<DatabaseStateChange>(MigrationNames.DatabaseStateEvent);

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

    private static async Task<AssessmentReport> AssessAsync(TaskOrchestrationContext context, MigrationRecorder recorder, string wave, MigrationMode mode, DatabaseSpec database, DrillSpec? drill)
    {
        bool inject = drill is { Step: MigrationStep.Validate } && string.Equals(drill.Database, database.Name, StringComparison.OrdinalIgnoreCase);
        DateTime started = context.CurrentUtcDateTime;
        recorder.StepStarted(database.Name, MigrationStep.Validate);
        AssessmentReport report;
        try
        {
#pragma warning disable CA2007 // Orchestrator code: continuations stay on the orchestrator thread.
            report = await context.CallActivityAsync<AssessmentReport>(
                MigrationActivityNames.ValidateDatabase, new DatabaseStepInput(wave, database, inject) { Mode = mode }, CompensationRunner.ActivityRetry);
#pragma warning restore CA2007
        }
        catch (TaskFailedException ex)
        {
            // An assessment that cannot run is as blocking as a finding: nothing may be touched.
            report = new AssessmentReport(database.Name, "unknown", 0, 0,
                [new AssessmentFinding("assessment.failed", FindingSeverity.Blocking, $"assessment could not run: {CompensationRunner.Describe(ex)}")]);
        }

        string? blocking = report.IsBlocked
            ? string.Join("; ", report.Findings.Where(f => f.Severity == FindingSeverity.Blocking).Select(f => f.Message))
            : null;
        recorder.StepEnded(database.Name, new StepTiming(MigrationStep.Validate, started, context.CurrentUtcDateTime, !report.IsBlocked), error: blocking);
        return report;
    }

    private static async Task<DatabaseMigrationResult> StartDatabase(TaskOrchestrationContext context, WaveInput input, DatabaseSpec database)
    {
        var manifest = input.Manifest;
        MigrationStep? failAt = input.Drill is { } drill && string.Equals(drill.Database, database.Name, StringComparison.OrdinalIgnoreCase) && drill.Step != MigrationStep.Validate
            ? drill.Step
            : null;
        var databaseInput = new DatabaseMigrationInput(
            manifest.Wave, database, manifest.Mode, manifest.Cutover, manifest.Alerts, manifest.OnFailure, failAt, input.MonitorInterval ?? TimeSpan.FromSeconds(2))
        {
            SyncPollsPerExecution = input.SyncPollsPerExecution ?? 100,
            TicketId = input.Ticket?.Id,
        };
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

    /// <summary>The scheduling state of the databases, by manifest index: which wait, which are ready, what each waits for.</summary>
    /// <remarks>A turn costs time in proportion to what changed, not to the size of the wave: each database counts the
    /// dependencies it still waits for, and becomes ready when that count reaches zero.</remarks>
    private sealed class Plan
    {
        private readonly IReadOnlyList<DatabaseSpec> _databases;
        private readonly Dictionary<string, int> _index;
        private readonly List<int>[] _dependents;
        private readonly int[] _unmet;
        private readonly bool[] _waiting;
        private readonly SortedSet<int> _ready;

        public Plan(IReadOnlyList<DatabaseSpec> databases)
        {
            _databases = databases;
            _index = new Dictionary<string, int>(databases.Count, StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < databases.Count; i++)
            {
                _index.TryAdd(databases[i].Name, i);
            }

            _dependents = new List<int>[databases.Count];
            _unmet = new int[databases.Count];
            _waiting = new bool[databases.Count];
            // Among ready databases: higher priority first, then manifest order.
            _ready = new SortedSet<int>(Comparer<int>.Create((a, b) =>
            {
                int byPriority = databases[b].Priority.CompareTo(databases[a].Priority);
                return byPriority != 0 ? byPriority : a.CompareTo(b);
            }));
            for (int i = 0; i < databases.Count; i++)
            {
                _waiting[i] = true;
                var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (string dependency in databases[i].DependsOn)
                {
                    if (!seen.Add(dependency))
                    {
                        continue;
                    }

                    _unmet[i]++;
                    if (_index.TryGetValue(dependency, out int on))
                    {
                        (_dependents[on] ??= []).Add(i);
                    }
                }

                if (_unmet[i] == 0)
                {
                    _ready.Add(i);
                }
            }
        }

        public DatabaseState InitialState(int index) => _databases[index].DependsOn.Count > 0 ? DatabaseState.AwaitingDependencies : DatabaseState.Pending;

        public int IndexOf(string name) => _index[name];

        public bool TryIndexOf(string name, out int index) => _index.TryGetValue(name, out index);

        /// <summary>Takes the next database to start, if one is ready.</summary>
        public bool TryTakeReady(out int index)
        {
            if (_ready.Count == 0)
            {
                index = -1;
                return false;
            }

            index = _ready.Min;
            _ready.Remove(index);
            _waiting[index] = false;
            return true;
        }

        /// <summary>Records that a database completed: its dependents wait for one dependency less.</summary>
        public void Completed(int index)
        {
            foreach (int dependent in _dependents[index] ?? [])
            {
                if (--_unmet[dependent] == 0 && _waiting[dependent])
                {
                    _ready.Add(dependent);
                }
            }
        }

        /// <summary>Stops every waiting database that depends, directly or not, on <paramref name="index"/>; returns them in manifest order.</summary>
        public List<int> SkipDependentsOf(int index)
        {
            var found = new HashSet<int> { index };
            var queue = new Queue<int>([index]);
            while (queue.TryDequeue(out int next))
            {
                foreach (int dependent in _dependents[next] ?? [])
                {
                    if (found.Add(dependent))
                    {
                        queue.Enqueue(dependent);
                    }
                }
            }

            var skipped = found.Where(i => i != index && _waiting[i]).Order().ToList();
            foreach (int i in skipped)
            {
                _waiting[i] = false;
                _ready.Remove(i);
            }

            return skipped;
        }

        /// <summary>The databases never started, in manifest order.</summary>
        public IEnumerable<int> Waiting() => Enumerable.Range(0, _databases.Count).Where(i => _waiting[i]);
    }

    /// <summary>Each database's state, and who waits for an operator, published as a compact <see cref="WaveStatus"/> only when something changed.</summary>
    private sealed class WaveStates(TaskOrchestrationContext context, string wave, string? ticket, int count)
    {
        private readonly DatabaseState[] _states = new DatabaseState[count];
        private readonly SortedDictionary<int, WaveAttention> _attention = [];
        private string? _published;
        private bool _changed = true;

        /// <summary>Sets a database's state; <paramref name="attention"/> says what it waits for, and a new state without one clears it.</summary>
        public void Set(int index, DatabaseState state, WaveAttention? attention = null)
        {
            if (_states[index] != state)
            {
                _states[index] = state;
                _changed = true;
            }

            if (attention is not null)
            {
                _changed |= !_attention.TryGetValue(index, out var previous) || previous != attention;
                _attention[index] = attention;
            }
            else
            {
                _changed |= _attention.Remove(index);
            }
        }

        public void SetAll(DatabaseState state)
        {
            for (int i = 0; i < _states.Length; i++)
            {
                Set(i, state);
            }
        }

        public void Publish(string phase)
        {
            if (!_changed && phase == _published)
            {
                return;
            }

            context.SetCustomStatus(WaveStatus.Create(wave, phase, _states, _attention.Count == 0 ? null : [.. _attention.Values]) with { Ticket = ticket });
            _published = phase;
            _changed = false;
        }
    }
}
