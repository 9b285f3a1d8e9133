using DurableMigration.Manifest;
using DurableMigration.Migration.Activities;
using DurableMigration.Monitoring;
using DurableMigration.Providers;
using Microsoft.DurableTask;

namespace DurableMigration.Migration;

/// <summary>Migrates one database: migrate (schema, data) with monitoring → cutover gate → cutover → post-validate → remediate, compensating on failure.</summary>
/// <remarks>
/// <para>Assessment ran in the wave's pre-flight, before anything was touched. Each step registers its compensation
/// before it runs (its own compensations are idempotent, so undoing a step that changed nothing is harmless), except
/// remediation, which is one atomic registry write and registers after it succeeds.</para>
/// <para>On failure the policy decides: <see cref="FailureAction.AskOperator"/> waits in NeedsAttention for a
/// <c>Retry</c> (re-run from the failed step; a failed monitor re-runs the copy it monitors) or <c>Rollback</c> event,
/// rolling back when neither comes within the operator timeout; the other policies roll this database back at once
/// and let the wave decide about the others. A <c>Rollback</c> event stops the database at the next step boundary or
/// wait. The source is made read-only only at cutover; then the final sync applies exactly the rows that changed on
/// the source since the copy began (the provider records them from the copy on), whatever validation is set to, so no
/// acknowledged write is lost and the write-blocked window follows the changes, not the database's size. A provider that
/// records no changes gets the old safety net instead: when post-validation finds a difference, one more copy from the
/// read-only source, then a second comparison.</para>
/// <para>Each step's start and end, each progress poll, each alert and each compensation is a <see cref="MigrationRecord"/>
/// (<see cref="MigrationRecorder"/>): logged through the replay-safe logger, so it costs no activity and no history event.
/// A step resumed by a continued execution is not started again; a failed monitor poll ends the migrate step, its error starting with <c>monitor:</c>.</para>
/// <para>Orchestrator code: replayed, so it follows the determinism rules in the remarks of <see cref="WaveOrchestration"/>.</para>
/// </remarks>
public sealed class DatabaseMigrationOrchestration : TaskOrchestrator<DatabaseMigrationInput, DatabaseMigrationResult>
{
    /// <inheritdoc/>
    public override Task<DatabaseMigrationResult> RunAsync(TaskOrchestrationContext context, DatabaseMigrationInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        return new Run(context, input).ExecuteAsync();
    }

#pragma warning disable CA2007 // Orchestrator code: continuations stay on the orchestrator thread.

    /// <summary>The state of one execution; lives only as long as the orchestrator's replay.</summary>
    private sealed class Run(TaskOrchestrationContext context, DatabaseMigrationInput input)
    {
        private static readonly MigrationStep[] Steps = [MigrationStep.Migrate, MigrationStep.Cutover, MigrationStep.PostValidate, MigrationStep.Remediate];

        private readonly List<Compensation> _registered = [];
        private readonly List<StepTiming> _timings = [];
        private readonly DatabaseSpec _database = input.Database;
        private readonly MigrationRecorder _records = new(context, input.WaveId, input.TicketId);
        private Task<string?>? _rollbackRequested;
        private DatabaseState _state = DatabaseState.Migrating;
        private CopyProgress? _progress;
        private DataCopyResult? _copied;
        private ValidationReport? _validation;
        private ChangeSyncResult? _finalSync;
        private ReplicationStatus? _replication;
        private bool _approved;
        private Task<string?>? _approvalWaiter;
        private DateTime _stepStartedAt;
        private DateTime? _writesBlockedAt;
        private TimeSpan? _writeBlocked;
        private bool _drillFired;
        private bool _durationAlerted;
        private DateTime _startedAt;

        private string Wave => input.WaveId;

        private Uri? Webhook => input.Alerts.Webhook;

        public async Task<DatabaseMigrationResult> ExecuteAsync()
        {
            _startedAt = context.CurrentUtcDateTime;
            _rollbackRequested = context.WaitForExternalEvent<string?>(MigrationNames.RollbackEvent);
            int index = 0;
            DateTime? resumedStepStart = null;
            if (input.Continuation is { } continuation)
            {
                // An online sync continued as new while it waited for its cutover gate: carry on in the cutover step.
                _startedAt = continuation.StartedAt;
                _registered.AddRange(continuation.Registered);
                _timings.AddRange(continuation.Steps);
                _copied = continuation.Copied;
                _progress = Copied(continuation.Copied);
                _approved = continuation.Approved;
                _drillFired = continuation.DrillFired;
                _durationAlerted = continuation.DurationAlerted;
                _state = DatabaseState.Syncing;
                index = Array.IndexOf(Steps, MigrationStep.Cutover);
                resumedStepStart = continuation.CutoverStartedAt;
            }

            while (index < Steps.Length)
            {
                if (_rollbackRequested.IsCompleted)
                {
                    return await RollBackAsync(null, "rollback requested");
                }

                MigrationStep step = Steps[index];
                DateTime started = resumedStepStart ?? context.CurrentUtcDateTime;
                if (resumedStepStart is null)
                {
                    _records.StepStarted(_database.Name, step);
                }

                resumedStepStart = null;
                _stepStartedAt = started;
                try
                {
                    await RunStepAsync(step);
                    var timing = new StepTiming(step, started, context.CurrentUtcDateTime, true);
                    _timings.Add(timing);
                    RecordStepEnded(timing, null);
                    index++;
                    await CheckDurationAsync();
                }
                catch (StepFailedException failure)
                {
                    var timing = new StepTiming(failure.Step, started, context.CurrentUtcDateTime, false);
                    _timings.Add(timing);
                    string error = failure.Error;
                    // Recorded under the step that started, so every Started record has its end (a failed monitor poll ends migrate).
                    RecordStepEnded(timing with { Step = step }, failure.Step == step ? error : $"{MigrationNames.StepName(failure.Step)}: {error}");
                    await CompensationRunner.AlertAsync(context, _records, Wave, _database.Name, "error", $"'{_database.Name}' failed at {MigrationNames.StepName(failure.Step)}: {error}", Webhook);
                    if (input.OnFailure.Action == FailureAction.AskOperator && await AskOperatorAsync(failure.Step, error))
                    {
                        DiscardStaleApprovals();
                        index = Array.IndexOf(Steps, failure.Step == MigrationStep.Monitor ? MigrationStep.Migrate : failure.Step);
                        continue;
                    }

                    return await RollBackAsync(failure.Step, error);
                }
                catch (RollbackRequestedException)
                {
                    return await RollBackAsync(null, "rollback requested");
                }
                catch (ContinuedAsNewException continued)
                {
                    // The next execution carries on; this one's result is never read.
                    return Result(null, $"continued as new after {continued.Polls} replication polls", []);
                }
            }

            SetState(DatabaseState.Completed);
            _replication = null;
            Publish("completed");
            return Result(null, null, []);
        }

        private Task RunStepAsync(MigrationStep step) => step switch
        {
            MigrationStep.Migrate => MigrateAndMonitorAsync(),
            MigrationStep.Cutover => CutoverAsync(),
            MigrationStep.PostValidate => PostValidateAsync(),
            _ => RemediateAsync(),
        };

        private async Task MigrateAndMonitorAsync()
        {
            SetState(DatabaseState.Migrating);
            _replication = null; // a retried copy starts its replication afresh
            Publish("copying schema");
            Register(Compensation.DropTarget);
            await CallAsync<SchemaCopyResult>(MigrationStep.Migrate, MigrationActivityNames.MigrateSchema, Inject(MigrationStep.Migrate));
            Publish(input.Mode == MigrationMode.Online ? "copying data in one snapshot, then starting replication" : "copying data");
            _copied = await CopyWithMonitoringAsync();
        }

        /// <summary>Runs the copy while polling its progress on durable timers (the monitor step).</summary>
        private async Task<DataCopyResult> CopyWithMonitoringAsync()
        {
            Task<DataCopyResult> copy = context.CallActivityAsync<DataCopyResult>(MigrationActivityNames.CopyData, StepInput(false), CompensationRunner.ActivityRetry);
            while (!copy.IsCompleted)
            {
                using var timerCancellation = new CancellationTokenSource();
                Task tick = context.CreateTimer(context.CurrentUtcDateTime.Add(input.MonitorInterval), timerCancellation.Token);
                if (await Task.WhenAny(copy, tick) == copy)
                {
#pragma warning disable CA1849 // Cancel synchronously: CancelAsync would run the context's callbacks on another thread.
                    timerCancellation.Cancel();
#pragma warning restore CA1849
                    break;
                }

                await PollProgressAsync(copy);
                await CheckDurationAsync();
            }

            DataCopyResult result;
            try
            {
                result = await copy;
            }
            catch (TaskFailedException ex)
            {
                throw new StepFailedException(MigrationStep.Migrate, CompensationRunner.Describe(ex));
            }

            // The copy's result is its final progress. A monitor drill still gets its poll when the copy beat the first timer.
            _progress = Copied(result);
            if (input.FailAt == MigrationStep.Monitor && !_drillFired)
            {
                await PollProgressAsync(copy);
            }

            return result;
        }

        private async Task PollProgressAsync(Task copy)
        {
            bool inject = Inject(MigrationStep.Monitor);
            try
            {
                _progress = await context.CallActivityAsync<CopyProgress?>(
                    MigrationActivityNames.GetCopyProgress, new ProgressQuery(Wave, _database.Name, inject), CompensationRunner.ActivityRetry) ?? _progress;
                _records.Progress(_database.Name, MigrationStep.Monitor, _progress?.RowsCopied, _progress?.BytesCopied, null);
                Publish("copying data");
            }
            catch (TaskFailedException ex)
            {
                // The copy may still be writing the target: let it finish before anything compensates.
                try
                {
                    await copy;
                }
                catch (TaskFailedException)
                {
                }

                throw new StepFailedException(MigrationStep.Monitor, CompensationRunner.Describe(ex));
            }
        }

        private async Task CutoverAsync()
        {
            if (input.Mode == MigrationMode.Online)
            {
                await SyncUntilCutoverAsync();
            }
            else
            {
                await CutoverGateAsync();
            }

            SetState(DatabaseState.CuttingOver);
            Publish("making the source read-only");
            Register(Compensation.MakeSourceWritable);
            _writesBlockedAt ??= context.CurrentUtcDateTime;
            await CallAsync<bool>(MigrationStep.Cutover, MigrationActivityNames.Cutover, Inject(MigrationStep.Cutover));
            Publish(input.Mode == MigrationMode.Online
                ? "final sync: waiting until the target has applied the source's last write, then syncing sequences and ending the replication"
                : "final sync of the rows that changed during the copy");
            _finalSync = await CallAsync<ChangeSyncResult?>(MigrationStep.Cutover, MigrationActivityNames.SyncChanges, false);
            if (_finalSync is not null)
            {
                Publish($"final sync: {_finalSync.ChangedRows} changed row(s) applied{(_finalSync.FullCopy ? " (no change record: copied everything again)" : string.Empty)}");
            }
        }

        /// <summary>
        /// Online mode: keeps polling the replication (lag in the custom status) until the target trails by at most
        /// <c>maxLagSeconds</c> and cutover is approved, then waits for the maintenance window. Continues as new every
        /// <see cref="DatabaseMigrationInput.SyncPollsPerExecution"/> polls, so a sync of weeks keeps a short history.
        /// </summary>
        private async Task SyncUntilCutoverAsync()
        {
            bool manual = input.Cutover.Approval == CutoverApproval.Manual;
            string approve = MigrationNames.ApproveCommand(Wave, _database.Name);
            Task<string?>? approval = manual && !_approved ? ApprovalWaiter() : null;
            int polls = 0;
            while (true)
            {
                _replication = await PollReplicationAsync();
                _approved |= approval is { IsCompleted: true };
                bool lagOk = _replication.IsWithin(input.Cutover.MaxLagSeconds);
                if (lagOk && (!manual || _approved))
                {
                    break;
                }

                string lag = LagText(_replication);
                if (manual && !_approved)
                {
                    SetState(DatabaseState.AwaitingApproval, approve);
                    Publish($"syncing ({lag}); waiting for approval: {approve}");
                }
                else
                {
                    SetState(DatabaseState.Syncing);
                    Publish($"syncing ({lag}); cutover starts once the lag is under {input.Cutover.MaxLagSeconds:0.###} s");
                }

                await CheckDurationAsync();
                if (_rollbackRequested!.IsCompleted)
                {
                    throw new RollbackRequestedException();
                }

                if (++polls >= input.SyncPollsPerExecution)
                {
                    // A waiter consumes its event: an approval that arrived is remembered here, not re-delivered.
                    _approved |= approval is { IsCompleted: true };
                    // Events that arrived but were not consumed (an approval, a rollback) carry over to the next execution.
                    context.ContinueAsNew(NextExecution(), preserveUnprocessedEvents: true);
                    throw new ContinuedAsNewException(polls);
                }

                using var timerCancellation = new CancellationTokenSource();
                Task tick = context.CreateTimer(context.CurrentUtcDateTime.Add(input.MonitorInterval), timerCancellation.Token);
                Task winner = approval is { IsCompleted: false }
                    ? await Task.WhenAny(tick, approval, _rollbackRequested!)
                    : await Task.WhenAny(tick, _rollbackRequested!);
                if (winner != tick)
                {
#pragma warning disable CA1849 // Cancel synchronously: CancelAsync would run the context's callbacks on another thread.
                    timerCancellation.Cancel();
#pragma warning restore CA1849
                }

                if (_rollbackRequested.IsCompleted)
                {
                    throw new RollbackRequestedException();
                }
            }

            Publish($"in sync ({LagText(_replication)}){(manual ? "; cutover approved" : string.Empty)}");
            await WindowGateAsync();
        }

        private async Task<ReplicationStatus> PollReplicationAsync()
        {
            try
            {
                var status = await context.CallActivityAsync<ReplicationStatus>(MigrationActivityNames.GetReplicationStatus, StepInput(Inject(MigrationStep.Monitor)), CompensationRunner.ActivityRetry);
                _records.Progress(_database.Name, MigrationStep.Monitor, null, status.LagBytes, status.LagSeconds);
                return status;
            }
            catch (TaskFailedException ex)
            {
                throw new StepFailedException(MigrationStep.Monitor, CompensationRunner.Describe(ex));
            }
        }

        /// <summary>The input of the next execution, carrying what this one must not forget.</summary>
        private DatabaseMigrationInput NextExecution() => input with
        {
            Continuation = new DatabaseMigrationContinuation(
                _startedAt,
                _stepStartedAt,
                [.. _registered],
                [.. _timings],
                _copied,
                _approved,
                _drillFired,
                _durationAlerted,
                (input.Continuation?.Executions ?? 0) + 1),
        };

        private static string LagText(ReplicationStatus status) =>
            status.LagSeconds is { } seconds
                ? FormattableString.Invariant($"{status.State}, lag {seconds:0.###} s, {status.LagBytes} bytes")
                : FormattableString.Invariant($"{status.State}, lag {status.LagBytes} bytes");

        private async Task CutoverGateAsync()
        {
            if (input.Cutover.Approval == CutoverApproval.Manual)
            {
                string approve = MigrationNames.ApproveCommand(Wave, _database.Name);
                SetState(DatabaseState.AwaitingApproval, approve);
                Publish($"waiting for approval: {approve}");
                Task<string?> approval = ApprovalWaiter();
                if (await WaitWithDurationAlertAsync(approval) != approval)
                {
                    throw new RollbackRequestedException();
                }
            }

            await WindowGateAsync();
        }

        private async Task WindowGateAsync()
        {
            if (input.Cutover.Window is { } window)
            {
                DateTime? opening = await CallAsync<DateTime?>(MigrationStep.Cutover, MigrationActivityNames.NextCutoverWindow, false, new WindowQuery(window, context.CurrentUtcDateTime));
                if (opening is { } at)
                {
                    SetState(DatabaseState.AwaitingApproval);
                    Publish($"waiting for the maintenance window at {at:yyyy-MM-dd HH:mm} UTC");
                    using var timerCancellation = new CancellationTokenSource();
                    Task windowOpens = context.CreateTimer(at, timerCancellation.Token);
                    if (await Task.WhenAny(windowOpens, _rollbackRequested!) != windowOpens)
                    {
#pragma warning disable CA1849 // Cancel synchronously: CancelAsync would run the context's callbacks on another thread.
                        timerCancellation.Cancel();
#pragma warning restore CA1849
                        throw new RollbackRequestedException();
                    }
                }
            }
        }

        private async Task PostValidateAsync()
        {
            SetState(DatabaseState.ValidatingTarget);
            Publish("comparing source and target");
            _validation = await CallAsync<ValidationReport>(MigrationStep.PostValidate, MigrationActivityNames.PostValidate, Inject(MigrationStep.PostValidate));
            if (!_validation.Passed && _finalSync is null)
            {
                // No change record: writes that reached the source during the copy are moved now that it is read-only; then compare again.
                SetState(DatabaseState.CuttingOver);
                Publish("final sync: the source changed during the copy");
                _copied = await CopyWithMonitoringAsync();
                SetState(DatabaseState.ValidatingTarget);
                Publish("comparing source and target after the final sync");
                _validation = await CallAsync<ValidationReport>(MigrationStep.PostValidate, MigrationActivityNames.PostValidate, false);
            }

            if (!_validation.Passed)
            {
                var mismatched = _validation.Tables.Where(t => !t.Matches).Select(t => t.Described).Concat(_validation.MissingInTarget);
                throw new StepFailedException(MigrationStep.PostValidate, $"target does not match the source: {string.Join(", ", mismatched)}");
            }
        }

        private async Task RemediateAsync()
        {
            Publish("recording the target's state, then switching consumers to it");
            await CallAsync<TargetBaseline>(MigrationStep.Remediate, MigrationActivityNames.RecordTargetBaseline, false);
            await CallAsync<ConnectionEntry?>(MigrationStep.Remediate, MigrationActivityNames.Remediate, Inject(MigrationStep.Remediate));
            Register(Compensation.SwitchConsumersBack);
            _writeBlocked = context.CurrentUtcDateTime - _writesBlockedAt;
        }

        /// <summary>The waiter for the next <c>ApproveCutover</c> event: one at a time, so an approval goes to the gate that waits for it.</summary>
        private Task<string?> ApprovalWaiter() =>
            _approvalWaiter is { IsCompleted: false } pending
                ? pending
                : _approvalWaiter = context.WaitForExternalEvent<string?>(MigrationNames.ApproveCutoverEvent);

        /// <summary>
        /// Before a retry: an approval that arrived after the gate it was meant for had passed (approving every waiting
        /// database while this one's state still lagged, say) sits buffered and would open the next gate by itself. The
        /// retried cutover needs a fresh approval, so buffered ones are consumed here; a waiter that stays pending is kept
        /// for the gate.
        /// </summary>
        private void DiscardStaleApprovals()
        {
            _approved = false;
            if (input.Cutover.Approval != CutoverApproval.Manual || _approvalWaiter is { IsCompleted: false })
            {
                return;
            }

            // A buffered event completes a new waiter at once.
            while (ApprovalWaiter().IsCompleted)
            {
            }
        }

        /// <summary>Waits for the operator; true to retry, false to roll back.</summary>
        private async Task<bool> AskOperatorAsync(MigrationStep step, string error)
        {
            DateTime deadline = context.CurrentUtcDateTime.Add(input.OnFailure.OperatorTimeout);
            string retryCommand = MigrationNames.RetryCommand(Wave, _database.Name);
            SetState(DatabaseState.NeedsAttention, retryCommand, deadline);
            Publish($"failed at {MigrationNames.StepName(step)}: {error.TrimEnd('.')}. Waiting for {retryCommand} or {MigrationNames.RollbackCommand(Wave)} until {deadline:yyyy-MM-dd HH:mm} UTC");
            await CompensationRunner.AlertAsync(context, _records, Wave, _database.Name, "needsAttention", $"'{_database.Name}' needs attention after failing at {MigrationNames.StepName(step)}.", Webhook);
            using var timeoutCancellation = new CancellationTokenSource();
            Task<string?> retry = context.WaitForExternalEvent<string?>(MigrationNames.RetryEvent);
            Task timeout = context.CreateTimer(deadline, timeoutCancellation.Token);
            Task winner = await Task.WhenAny(retry, _rollbackRequested!, timeout);
            if (winner != timeout)
            {
#pragma warning disable CA1849 // Cancel synchronously: CancelAsync would run the context's callbacks on another thread.
                timeoutCancellation.Cancel();
#pragma warning restore CA1849
            }

            return winner == retry;
        }

        private async Task<DatabaseMigrationResult> RollBackAsync(MigrationStep? failedStep, string? error)
        {
            SetState(DatabaseState.RollingBack);
            Publish(error is null ? "rolling back" : $"rolling back after: {error}");
            var records = await CompensationRunner.RunAsync(context, _records, Wave, _database, _registered, Webhook);
            SetState(records.Any(r => !r.Succeeded) ? DatabaseState.Failed : DatabaseState.RolledBack);
            Publish(_state == DatabaseState.Failed ? $"rollback incomplete: see compensation failures; fix their cause, then {MigrationNames.RetryRollbackCommand(Wave)}" : "rolled back");
            // A failed compensation stays registered, so `dmig rollback <wave> --retry` can run it again.
            var remaining = CompensationRunner.StillRegistered(_registered, records);
            _registered.Clear();
            _registered.AddRange(remaining);
            return Result(failedStep, error, records);
        }

        /// <summary>Records a step's end: the copy's rows and bytes for migrate, the final sync's changed rows for cutover.</summary>
        private void RecordStepEnded(StepTiming timing, string? error)
        {
            var (rows, bytes) = timing.Step switch
            {
                MigrationStep.Migrate when timing.Succeeded => (_copied?.Rows, _copied?.Bytes),
                MigrationStep.Cutover when timing.Succeeded => (_finalSync?.ChangedRows, (long?)null),
                _ => (null, null),
            };
            _records.StepEnded(_database.Name, timing, rows, bytes, error);
        }

        private async Task<T> CallAsync<T>(MigrationStep step, string activity, bool inject, object? input = null)
        {
            try
            {
                return await context.CallActivityAsync<T>(activity, input ?? StepInput(inject), CompensationRunner.ActivityRetry);
            }
            catch (TaskFailedException ex)
            {
                throw new StepFailedException(step, CompensationRunner.Describe(ex));
            }
        }

        /// <summary>Whether the drill fails this step now: once, on the first attempt, so a Retry can succeed.</summary>
        private bool Inject(MigrationStep step)
        {
            if (input.FailAt != step || _drillFired)
            {
                return false;
            }

            _drillFired = true;
            return true;
        }

        private void Register(Compensation compensation)
        {
            if (!_registered.Contains(compensation))
            {
                _registered.Add(compensation);
            }
        }

        private async Task CheckDurationAsync()
        {
            if (_durationAlerted || input.Alerts.MaxDurationMinutes is not { } limit)
            {
                return;
            }

            TimeSpan elapsed = context.CurrentUtcDateTime - _startedAt;
            if (elapsed > TimeSpan.FromMinutes(limit))
            {
                _durationAlerted = true;
                await CompensationRunner.AlertAsync(context, _records, Wave, _database.Name, "duration", $"'{_database.Name}' has run {elapsed.TotalMinutes:F0} minutes, over the {limit}-minute threshold.", Webhook);
            }
        }

        /// <summary>Waits for <paramref name="task"/> or a rollback request; alerts once if the database passes its duration threshold meanwhile.</summary>
        private async Task<Task> WaitWithDurationAlertAsync(Task task)
        {
            if (_durationAlerted || input.Alerts.MaxDurationMinutes is not { } limit)
            {
                return await Task.WhenAny(task, _rollbackRequested!);
            }

            using var timerCancellation = new CancellationTokenSource();
            Task threshold = context.CreateTimer(_startedAt.AddMinutes(limit), timerCancellation.Token);
            Task winner = await Task.WhenAny(task, _rollbackRequested!, threshold);
            if (winner != threshold)
            {
#pragma warning disable CA1849 // Cancel synchronously: CancelAsync would run the context's callbacks on another thread.
                timerCancellation.Cancel();
#pragma warning restore CA1849
                return winner;
            }

            await CheckDurationAsync();
            return await Task.WhenAny(task, _rollbackRequested!);
        }

        /// <summary>
        /// Sets the state; when it enters a state an operator watches for (awaiting approval, needs attention, syncing,
        /// cutting over), or leaves one that waits for an operator, tells the wave, whose compact status would otherwise
        /// say only that the database runs.
        /// </summary>
        /// <remarks>
        /// Leaving cutting over for validation is not told: the source stays read-only until consumers switch, so to an
        /// application the database is still cutting over, and each event costs the wave a turn (two per database
        /// measured about 2 ms per database on a wave of a thousand).
        /// </remarks>
        private void SetState(DatabaseState state, string? next = null, DateTime? timeoutAt = null)
        {
            DatabaseState previous = _state;
            _state = state;
            bool watched = IsWatched(state) || previous is DatabaseState.AwaitingApproval or DatabaseState.NeedsAttention;
            bool final = state is DatabaseState.Completed or DatabaseState.RolledBack or DatabaseState.Failed;
            // Final states reach the wave as this orchestration's result; an event would only race it.
            if (watched && !final && (previous != state || next is not null) && context.Parent?.InstanceId is { } wave)
            {
                context.SendEvent(wave, MigrationNames.DatabaseStateEvent, new DatabaseStateChange(_database.Name, state, next, timeoutAt));
            }
        }

        private static bool IsWatched(DatabaseState state) =>
            state is DatabaseState.AwaitingApproval or DatabaseState.NeedsAttention or DatabaseState.Syncing or DatabaseState.CuttingOver;

        private void Publish(string message) => context.SetCustomStatus(new DatabaseStatus(_database.Name, _state, _progress, message) { Replication = _replication });

        private DatabaseStepInput StepInput(bool inject) => new(Wave, _database, inject) { Mode = input.Mode };

        private static CopyProgress? Copied(DataCopyResult? result) =>
            result is null ? null : new CopyProgress(result.Tables.LastOrDefault()?.Table ?? string.Empty, result.Rows, result.Rows, result.Bytes);

        private DatabaseMigrationResult Result(MigrationStep? failedStep, string? error, IReadOnlyList<CompensationRecord> compensations) => new(_database.Name, _state)
        {
            FailedStep = failedStep,
            Error = error,
            Steps = [.. _timings],
            Rows = _copied?.Rows ?? 0,
            Bytes = _copied?.Bytes ?? 0,
            Validation = _validation,
            FinalSync = _finalSync,
            WriteBlocked = _writeBlocked,
            Registered = [.. _registered],
            CompensationsRun = compensations,
        };
    }

#pragma warning restore CA2007

    /// <summary>A step failed; carries the step and a one-line description of the cause.</summary>
    private sealed class StepFailedException(MigrationStep step, string error) : Exception(error)
    {
        public MigrationStep Step { get; } = step;

        public string Error { get; } = error;
    }

    /// <summary>The orchestration called <c>ContinueAsNew</c>: this execution ends here.</summary>
    private sealed class ContinuedAsNewException(int polls) : Exception("continued as new")
    {
        public int Polls { get; } = polls;
    }

    /// <summary>A Rollback event arrived while the database waited.</summary>
    private sealed class RollbackRequestedException() : Exception("rollback requested");
}
