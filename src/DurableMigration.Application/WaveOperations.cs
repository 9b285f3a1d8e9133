using DurableMigration.Manifest;
using DurableMigration.Migration;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Application;

/// <summary>Every operation on waves, written once over <see cref="DurableTaskClient"/>: what <c>dmig</c>, <c>dmig serve</c> and the Functions app do.</summary>
/// <remarks>
/// Each operation decides and acts, then returns a result with an outcome; it renders nothing and waits for nothing.
/// Requests (approve, terminate, …) are recorded in the task hub; the runtime hosting the wave applies them, so a host
/// that must see them applied (the command line) waits itself. The client must use <see cref="WaveJson.DataConverter"/>.
/// </remarks>
/// <param name="client">The client of the task hub holding the waves.</param>
public sealed class WaveOperations(DurableTaskClient client)
{
    /// <summary>Gets the client the operations go through.</summary>
    public DurableTaskClient Client { get; } = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>Checks the manifest in <paramref name="text"/> (JSON or YAML) and starts its wave; see <see cref="StartAsync(WaveManifest, string, DrillSpec?, TimeSpan?, TicketReference?, CancellationToken)"/>.</summary>
    public Task<StartResult> StartAsync(string text, string sourceName, CancellationToken cancellationToken = default)
    {
        if (!WaveManifestReader.TryParse(text, sourceName, out var manifest, out var errors))
        {
            return Task.FromResult(new StartResult(
                StartOutcome.InvalidManifest, null, null, null, new Refusal(RefusalKind.BadInput, "Invalid manifest", $"{sourceName}: {errors.Count} error(s)", errors)));
        }

        return StartAsync(manifest, sourceName, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Starts <paramref name="manifest"/>'s wave unless its id is taken: by a wave in flight (resumed by whoever hosts
    /// the runtime), by a finished one, or by a wave that started with a different manifest (a wave keeps its manifest;
    /// a silently ignored edit would look applied). <paramref name="drill"/> applies to a new wave only, and so does
    /// <paramref name="ticket"/>, the change request it is recorded on the wave for.
    /// </summary>
    public async Task<StartResult> StartAsync(WaveManifest manifest, string sourceName, DrillSpec? drill = null, TimeSpan? monitorInterval = null, TicketReference? ticket = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        string waveId = manifest.Wave;
        var existing = await Client.GetInstanceAsync(waveId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        if (existing?.ReadInputAs<WaveInput>()?.Manifest is { } started && ManifestDifference.Between(started, manifest) is { Count: > 0 } differences)
        {
            return new StartResult(StartOutcome.ManifestChanged, waveId, manifest, existing, new Refusal(
                RefusalKind.Conflict,
                "Manifest changed",
                $"{sourceName} differs from the manifest wave {waveId} started with ({differences.Count} difference(s)); a wave keeps its manifest. Undo the change to resume the wave, or give the manifest a new wave id to start another.",
                differences));
        }

        if (existing is { IsCompleted: true })
        {
            return new StartResult(StartOutcome.AlreadyFinished, waveId, manifest, existing, new Refusal(
                RefusalKind.Conflict,
                "Wave finished",
                $"Wave {waveId} already finished ({Words.Of(existing.RuntimeStatus)}). Give the manifest a new wave id to migrate again, purge the wave to reuse its id, or roll it back."));
        }

        if (existing is not null)
        {
            return new StartResult(StartOutcome.AlreadyRunning, waveId, manifest, existing, new Refusal(
                RefusalKind.Conflict,
                "Wave running",
                $"Wave {waveId} is already {Words.Of(existing.RuntimeStatus)}; it keeps its manifest and goes on. Give the manifest a new wave id to start another."));
        }

        try
        {
            await Client.ScheduleNewOrchestrationInstanceAsync(
                MigrationNames.WaveOrchestration,
                new WaveInput(manifest, drill, monitorInterval, ticket),
                new StartOrchestrationOptions(waveId),
                cancellationToken).ConfigureAwait(false);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            // Another request started the same id between the check and the start: decide again against that wave.
            return await StartAsync(manifest, sourceName, drill, monitorInterval, ticket, cancellationToken).ConfigureAwait(false);
        }

        return new StartResult(StartOutcome.Started, waveId, manifest, null, null);
    }

    /// <summary>Approves cutover of <paramref name="database"/>, or of every database awaiting approval when it is <c>null</c>; <paramref name="requestedBy"/> is the event's payload.</summary>
    public async Task<DatabaseRequestResult> ApproveAsync(string waveId, string? database, string requestedBy, CancellationToken cancellationToken = default)
    {
        var view = await WaveView.LoadAsync(Client, waveId, cancellationToken).ConfigureAwait(false);
        if (view is null)
        {
            return new DatabaseRequestResult(DatabaseRequestOutcome.NoSuchWave, waveId, [], Refusal.NoSuchWave(waveId));
        }

        if (database is not null && NoSuchDatabase(view, database) is { } unknown)
        {
            return unknown;
        }

        if (view.Wave.IsCompleted)
        {
            return new DatabaseRequestResult(DatabaseRequestOutcome.WaveFinished, waveId, [], new Refusal(
                RefusalKind.Gone, "Wave finished", $"Wave '{waveId}' already finished ({Words.Of(view.Wave.RuntimeStatus)}); there is nothing to approve."));
        }

        var waiting = view.DatabaseNames.Where(n => view.StateOf(n) == DatabaseState.AwaitingApproval).ToList();
        var targets = database is null ? waiting : waiting.Where(n => string.Equals(n, database, StringComparison.OrdinalIgnoreCase)).ToList();
        if (targets.Count == 0)
        {
            return new DatabaseRequestResult(DatabaseRequestOutcome.NotWaiting, waveId, [], new Refusal(
                RefusalKind.Conflict,
                "Not awaiting approval",
                database is null
                    ? $"No database of wave '{waveId}' is awaiting approval."
                    : $"Database '{database}' of wave '{waveId}' is not awaiting approval (it is {Words.Display(view.StateOf(database))})."));
        }

        foreach (string name in targets)
        {
            await Client.RaiseEventAsync(MigrationNames.DatabaseInstanceId(waveId, name), MigrationNames.ApproveCutoverEvent, requestedBy, cancellationToken).ConfigureAwait(false);
        }

        return new DatabaseRequestResult(DatabaseRequestOutcome.Done, waveId, targets, null);
    }

    /// <summary>Re-runs <paramref name="database"/>, which needs attention (<c>onFailure: askOperator</c>), from its failed step.</summary>
    public async Task<DatabaseRequestResult> RetryAsync(string waveId, string database, string requestedBy, CancellationToken cancellationToken = default)
    {
        var view = await WaveView.LoadAsync(Client, waveId, cancellationToken).ConfigureAwait(false);
        if (view is null)
        {
            return new DatabaseRequestResult(DatabaseRequestOutcome.NoSuchWave, waveId, [], Refusal.NoSuchWave(waveId));
        }

        if (NoSuchDatabase(view, database) is { } unknown)
        {
            return unknown;
        }

        var state = view.StateOf(database);
        if (state != DatabaseState.NeedsAttention)
        {
            // A database whose compensations failed, or that a finished wave's rollback left completed (refused), is
            // finished by the rollback, not by retrying its migration.
            bool leftByRollback = view.Rollback?.Result?.Databases.Any(d =>
                string.Equals(d.Database, database, StringComparison.OrdinalIgnoreCase) && d.State is DatabaseState.Completed or DatabaseState.Failed) == true;
            string hint = state == DatabaseState.Failed || leftByRollback
                ? $" Its rollback did not finish: fix the cause the summary names, then run {MigrationNames.RetryRollbackCommand(waveId)}."
                : string.Empty;
            return new DatabaseRequestResult(DatabaseRequestOutcome.NotWaiting, waveId, [], new Refusal(
                RefusalKind.Conflict, "Does not need attention", $"Database '{database}' does not need attention (it is {Words.Display(state)}).{hint}"));
        }

        await Client.RaiseEventAsync(MigrationNames.DatabaseInstanceId(waveId, database), MigrationNames.RetryEvent, requestedBy, cancellationToken).ConfigureAwait(false);
        return new DatabaseRequestResult(DatabaseRequestOutcome.Done, waveId, [database], null);
    }

    /// <summary>
    /// Rolls a wave back. A running wave gets the rollback event (and so does each running database: they stop at their
    /// next step boundary or wait). A finished wave gets a rollback instance <c>&lt;wave&gt;:rollback</c> that
    /// compensates its completed databases, dependents first, treating targets written after cutover as
    /// <paramref name="targetWrites"/> says. <paramref name="retry"/> re-runs the failed compensations of the last rollback.
    /// </summary>
    public async Task<RollbackResult> RollbackAsync(string waveId, TargetWrites targetWrites, bool retry, string requestedBy, CancellationToken cancellationToken = default)
    {
        var wave = await Client.GetInstanceAsync(waveId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        if (wave is null)
        {
            return Refused(RollbackOutcome.NoSuchWave, waveId, Refusal.NoSuchWave(waveId));
        }

        if (!wave.IsCompleted && retry)
        {
            return Refused(RollbackOutcome.Refused, waveId, new Refusal(
                RefusalKind.Conflict,
                "Wave still running",
                $"Wave '{waveId}' is still running ({Words.Of(wave.RuntimeStatus)}); --retry re-runs the failed compensations of a finished rollback. Roll it back with {MigrationNames.RollbackCommand(waveId)}."));
        }

        if (!wave.IsCompleted)
        {
            await Client.RaiseEventAsync(waveId, MigrationNames.RollbackEvent, requestedBy, cancellationToken).ConfigureAwait(false);
            var view = await WaveView.LoadAsync(Client, waveId, cancellationToken).ConfigureAwait(false);
            foreach (string name in view?.Databases.Keys ?? Enumerable.Empty<string>())
            {
                var child = await Client.GetInstanceAsync(MigrationNames.DatabaseInstanceId(waveId, name), cancellation: cancellationToken).ConfigureAwait(false);
                if (child is { IsCompleted: false })
                {
                    await Client.RaiseEventAsync(child.InstanceId, MigrationNames.RollbackEvent, requestedBy, cancellationToken).ConfigureAwait(false);
                }
            }

            return new RollbackResult(RollbackOutcome.RequestedOfRunningWave, waveId, waveId, null, [], null);
        }

        var result = wave.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? wave.ReadOutputAs<WaveResult>() : null;
        var input = wave.ReadInputAs<WaveInput>();
        string rollbackId = MigrationNames.RollbackInstanceId(waveId);
        var existing = await Client.GetInstanceAsync(rollbackId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        if (retry && result is not null && input is not null)
        {
            return await RetryRollbackAsync(input, result, existing, targetWrites, cancellationToken).ConfigureAwait(false);
        }

        if (result is null || input is null || !result.Databases.Any(d => d.State == DatabaseState.Completed))
        {
            bool retriable = result?.Databases.Any(IsRetriable) == true;
            return Refused(RollbackOutcome.Refused, waveId, new Refusal(
                RefusalKind.Conflict,
                "Nothing to roll back",
                $"Wave '{waveId}' has no completed database to roll back ({Words.Of(wave.RuntimeStatus)}{(result is null ? string.Empty : ", " + Words.Of(result.Outcome))}).{(retriable ? $" Its failed compensations run again with {MigrationNames.RetryRollbackCommand(waveId)}." : string.Empty)}"));
        }

        // A rollback that left databases completed (refused, or a copy-back or backup that failed) runs again from where it left them.
        var leftOver = existing?.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? existing.ReadOutputAs<WaveResult>() : null;
        if (leftOver is not null && leftOver.Databases.Any(d => d.State == DatabaseState.Completed))
        {
            result = leftOver;
            existing = null;
        }

        if (existing is not null && existing.RuntimeStatus is not (OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated))
        {
            return new RollbackResult(RollbackOutcome.AlreadyExists, waveId, rollbackId, existing, [], null);
        }

        await Client.ScheduleNewOrchestrationInstanceAsync(
            MigrationNames.WaveRollbackOrchestration, new WaveRollbackInput(input.Manifest, result, targetWrites) { TicketId = input.Ticket?.Id }, new StartOrchestrationOptions(rollbackId), cancellationToken).ConfigureAwait(false);
        return new RollbackResult(RollbackOutcome.Started, waveId, rollbackId, null, [], null);
    }

    /// <summary>Terminates a running or suspended wave and its running database orchestrations, recording <paramref name="reason"/>. Nothing is compensated.</summary>
    public async Task<ControlResult> TerminateAsync(string waveId, string reason, CancellationToken cancellationToken = default)
    {
        var wave = await Client.GetInstanceAsync(waveId, cancellation: cancellationToken).ConfigureAwait(false);
        if (wave is null)
        {
            return new ControlResult(ControlOutcome.NoSuchWave, waveId, [], Refusal.NoSuchWave(waveId));
        }

        if (wave.IsCompleted)
        {
            return new ControlResult(ControlOutcome.Finished, waveId, [], new Refusal(
                RefusalKind.Gone, "Wave finished", $"Wave '{waveId}' already finished ({Words.Of(wave.RuntimeStatus)}); there is nothing to terminate."));
        }

        // Recursive, as Durable Functions' terminate is not by default: a database left running would go on to cut over.
        await Client.TerminateInstanceAsync(waveId, new TerminateInstanceOptions(reason, Recursive: true), cancellationToken).ConfigureAwait(false);
        return new ControlResult(ControlOutcome.Requested, waveId, [waveId], null);
    }

    /// <summary>Suspends a running wave and each of its running database orchestrations (the SDK does not suspend sub-orchestrations with their parent).</summary>
    public async Task<ControlResult> SuspendAsync(string waveId, string reason, CancellationToken cancellationToken = default)
    {
        var wave = await Client.GetInstanceAsync(waveId, cancellation: cancellationToken).ConfigureAwait(false);
        if (wave is null)
        {
            return new ControlResult(ControlOutcome.NoSuchWave, waveId, [], Refusal.NoSuchWave(waveId));
        }

        if (wave.IsCompleted || wave.RuntimeStatus == OrchestrationRuntimeStatus.Suspended)
        {
            return new ControlResult(
                wave.IsCompleted ? ControlOutcome.Finished : ControlOutcome.NotApplicable,
                waveId,
                [],
                new Refusal(wave.IsCompleted ? RefusalKind.Gone : RefusalKind.Conflict, "Not running", $"Wave '{waveId}' is {Words.Of(wave.RuntimeStatus)}; only a running wave can be suspended."));
        }

        var targets = (await WithDatabasesAsync(wave, cancellationToken).ConfigureAwait(false))
            .Where(i => i.RuntimeStatus != OrchestrationRuntimeStatus.Suspended).Select(i => i.InstanceId).ToList();
        foreach (string id in targets)
        {
            await Client.SuspendInstanceAsync(id, reason, cancellationToken).ConfigureAwait(false);
        }

        return new ControlResult(ControlOutcome.Requested, waveId, targets, null);
    }

    /// <summary>Resumes a suspended wave and every suspended database orchestration of it.</summary>
    public async Task<ControlResult> ResumeAsync(string waveId, string reason, CancellationToken cancellationToken = default)
    {
        var wave = await Client.GetInstanceAsync(waveId, cancellation: cancellationToken).ConfigureAwait(false);
        if (wave is null)
        {
            return new ControlResult(ControlOutcome.NoSuchWave, waveId, [], Refusal.NoSuchWave(waveId));
        }

        var targets = (await WithDatabasesAsync(wave, cancellationToken).ConfigureAwait(false))
            .Where(i => i.RuntimeStatus == OrchestrationRuntimeStatus.Suspended).Select(i => i.InstanceId).ToList();
        if (targets.Count == 0)
        {
            return new ControlResult(
                wave.IsCompleted ? ControlOutcome.Finished : ControlOutcome.NotApplicable,
                waveId,
                [],
                new Refusal(wave.IsCompleted ? RefusalKind.Gone : RefusalKind.Conflict, "Not suspended", $"Wave '{waveId}' is {Words.Of(wave.RuntimeStatus)}, and none of its databases is suspended; there is nothing to resume."));
        }

        foreach (string id in targets)
        {
            await Client.ResumeInstanceAsync(id, reason, cancellationToken).ConfigureAwait(false);
        }

        return new ControlResult(ControlOutcome.Requested, waveId, targets, null);
    }

    /// <summary>
    /// Deletes a finished wave from the task hub with everything named <c>&lt;wave&gt;:…</c> (its databases, its rollback
    /// and the rollback's children) and their history, so the id can be used again; refuses while any of them runs.
    /// </summary>
    public async Task<PurgeResult> PurgeAsync(string waveId, CancellationToken cancellationToken = default)
    {
        var wave = await Client.GetInstanceAsync(waveId, cancellation: cancellationToken).ConfigureAwait(false);
        if (wave is null)
        {
            return new PurgeResult(PurgeOutcome.NoSuchWave, waveId, 0, Refusal.NoSuchWave(waveId));
        }

        var related = new List<OrchestrationMetadata>();
        await foreach (var instance in Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = waveId + ":" }).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            related.Add(instance);
        }

        if ((wave.IsCompleted ? related.FirstOrDefault(i => !i.IsCompleted) : wave) is { } live)
        {
            return new PurgeResult(PurgeOutcome.StillRunning, waveId, 0, new Refusal(
                RefusalKind.Conflict,
                "Still running",
                $"'{live.InstanceId}' is {Words.Of(live.RuntimeStatus)}: a running wave cannot be purged. Wait for it to end, roll it back with 'dmig rollback {waveId}', or stop it with 'dmig terminate {live.InstanceId}', then purge."));
        }

        int purged = (await Client.PurgeInstanceAsync(waveId, new PurgeInstanceOptions(Recursive: true), cancellationToken).ConfigureAwait(false)).PurgedInstanceCount;
        foreach (var instance in related)
        {
            // Most went with the wave (they are its sub-orchestrations); the rollback and its children are separate trees.
            purged += (await Client.PurgeInstanceAsync(instance.InstanceId, new PurgeInstanceOptions(Recursive: true), cancellationToken).ConfigureAwait(false)).PurgedInstanceCount;
        }

        return new PurgeResult(PurgeOutcome.Purged, waveId, purged, null);
    }

    /// <summary>Reads one wave (or <c>&lt;wave&gt;:rollback</c>) with its rollback, and its history when <paramref name="showHistory"/> is set; <c>null</c> when there is none.</summary>
    public Task<WaveReport?> GetWaveAsync(string waveId, bool showHistory = false, CancellationToken cancellationToken = default) =>
        GetWaveAsync(waveId, showHistory, liveDatabases: true, cancellationToken);

    /// <summary>
    /// Reads one wave as <see cref="GetWaveAsync(string, bool, CancellationToken)"/> does; with <paramref name="liveDatabases"/>
    /// off, the wave and its rollback only (what its status object holds), not each running database's own status.
    /// </summary>
    public async Task<WaveReport?> GetWaveAsync(string waveId, bool showHistory, bool liveDatabases, CancellationToken cancellationToken = default)
    {
        var view = await WaveView.LoadAsync(Client, waveId, liveDatabases, cancellationToken).ConfigureAwait(false);
        if (view is null)
        {
            return null;
        }

        var history = showHistory ? HistoryRow.From(await Client.GetOrchestrationHistoryAsync(waveId, cancellationToken).ConfigureAwait(false)) : null;
        return new WaveReport(view, history);
    }

    /// <summary>
    /// One page of waves (databases and rollbacks are instances too, but only waves are listed), oldest first. The
    /// page is filled from as many of the task hub's pages as it takes; each asks for no more instances than the page
    /// still needs, so the task hub's token after it is exact and the next page starts where this one stopped.
    /// </summary>
    public async Task<WavePage> ListWavesAsync(WaveListQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        int pageSize = Math.Clamp(query.PageSize, 1, 1000);
        var waves = new List<OrchestrationMetadata>();
        string? token = query.ContinuationToken;
        while (waves.Count < pageSize)
        {
            var filter = new OrchestrationQuery
            {
                CreatedFrom = query.CreatedFrom,
                CreatedTo = query.CreatedTo,
                Statuses = query.Statuses is { Count: > 0 } statuses ? statuses : null,
                PageSize = pageSize - waves.Count,
                ContinuationToken = token,
                FetchInputsAndOutputs = true,
            };
            Page<OrchestrationMetadata>? page = null;
            await foreach (var first in Client.GetAllInstancesAsync(filter).AsPages(token, filter.PageSize).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                page = first;
                break;
            }

            waves.AddRange(page?.Values.Where(i => i.Name == MigrationNames.WaveOrchestration) ?? []);
            token = page?.ContinuationToken;
            if (token is null)
            {
                break;
            }
        }

        return new WavePage(waves, token);
    }

    /// <summary>A database a retried rollback acts on: left completed, or failed with compensations still to run.</summary>
    private static bool IsRetriable(DatabaseMigrationResult database) =>
        database.State == DatabaseState.Completed || (database.State == DatabaseState.Failed && database.Registered.Count > 0);

    private static RollbackResult Refused(RollbackOutcome outcome, string waveId, Refusal refusal) => new(outcome, waveId, waveId, null, [], refusal);

    private static DatabaseRequestResult? NoSuchDatabase(WaveView view, string database) =>
        view.Manifest.Contains(database, StringComparer.OrdinalIgnoreCase)
            ? null
            : new DatabaseRequestResult(DatabaseRequestOutcome.NoSuchDatabase, view.Wave.InstanceId, [], new Refusal(
                RefusalKind.NotFound, "No such database", $"Wave '{view.Wave.InstanceId}' has no database '{database}'; its databases: {string.Join(", ", view.Manifest)}."));

    /// <summary>
    /// <c>retry</c>: rolls back again from where the last attempt left the databases (the rollback's result, or the
    /// wave's when the wave rolled back while running): failed compensations run again, completed databases roll back.
    /// </summary>
    private async Task<RollbackResult> RetryRollbackAsync(WaveInput input, WaveResult waveResult, OrchestrationMetadata? existing, TargetWrites targetWrites, CancellationToken cancellationToken)
    {
        string waveId = waveResult.Wave;
        string rollbackId = MigrationNames.RollbackInstanceId(waveId);
        if (existing is { IsCompleted: false })
        {
            return new RollbackResult(RollbackOutcome.AlreadyExists, waveId, rollbackId, existing, [], null);
        }

        var latest = existing?.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? existing.ReadOutputAs<WaveResult>() ?? waveResult : waveResult;
        if (!latest.Databases.Any(IsRetriable))
        {
            return new RollbackResult(RollbackOutcome.Refused, waveId, waveId, null, [], new Refusal(
                RefusalKind.Conflict,
                "Nothing to retry",
                $"No compensation of wave '{waveId}' is left to run and no database is left completed ({latest.Outcome})."));
        }

        await Client.ScheduleNewOrchestrationInstanceAsync(
            MigrationNames.WaveRollbackOrchestration,
            new WaveRollbackInput(input.Manifest, latest, targetWrites, RetryFailed: true) { TicketId = input.Ticket?.Id },
            new StartOrchestrationOptions(rollbackId),
            cancellationToken).ConfigureAwait(false);
        return new RollbackResult(RollbackOutcome.RetryStarted, waveId, rollbackId, null, [.. latest.Databases.Where(IsRetriable).Select(d => d.Database)], null);
    }

    /// <summary>The wave and its live database orchestrations (<c>&lt;wave&gt;:&lt;db&gt;</c>), which suspend and resume must reach one by one.</summary>
    private async Task<List<OrchestrationMetadata>> WithDatabasesAsync(OrchestrationMetadata wave, CancellationToken cancellationToken)
    {
        var targets = new List<OrchestrationMetadata> { wave };
        var query = new OrchestrationQuery { InstanceIdPrefix = wave.InstanceId + ":" };
        await foreach (var instance in Client.GetAllInstancesAsync(query).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (instance.Name == MigrationNames.DatabaseMigrationOrchestration && !instance.IsCompleted)
            {
                targets.Add(instance);
            }
        }

        return targets;
    }
}
