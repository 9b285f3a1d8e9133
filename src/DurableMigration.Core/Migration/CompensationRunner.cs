using DurableMigration.Manifest;
using DurableMigration.Migration.Activities;
using DurableMigration.Monitoring;
using DurableMigration.Providers;
using Microsoft.DurableTask;

namespace DurableMigration.Migration;

/// <summary>Runs a database's registered compensations in reverse order, recording each outcome: used by every orchestration that rolls back.</summary>
/// <remarks>
/// <para>A failed compensation is recorded, alerted and the rest still run: a partial rollback is better than none, and
/// nothing is swallowed. A failed compensation stays registered (<see cref="StillRegistered"/>), so
/// <c>dmig rollback &lt;wave&gt; --retry</c> can run it again once its cause is fixed.</para>
/// <para>Before compensating, the connection references are resolved (without connecting): a reference that cannot be
/// resolved is named in the record. While consumers still use the target, nothing is undone then (their writes could
/// neither be checked nor moved); otherwise the source is made writable whenever its own connection resolves, so an
/// unresolvable target never leaves the source read-only.</para>
/// </remarks>
internal static class CompensationRunner
{
    /// <summary>Three attempts, 2 s then 4 s apart (at most 30 s); a failure marked <see cref="INonRetriableException"/> is not retried.</summary>
    public static readonly TaskOptions ActivityRetry = TaskOptions.FromRetryPolicy(
        new RetryPolicy(3, TimeSpan.FromSeconds(2), backoffCoefficient: 2.0, maxRetryInterval: TimeSpan.FromSeconds(30))
        {
            HandleFailure = failure => !failure.IsNonRetriable(),
        });

    /// <summary>Runs the compensations; when the database cut over, first checks whether consumers wrote to the target and acts as <paramref name="targetWrites"/> says.</summary>
    /// <remarks>
    /// A refusal is one record with <see cref="CompensationRecord.Refused"/> set and nothing else run: the database stays
    /// as it was (consumers on the target), so the same rollback can be run again with a choice.
    /// </remarks>
    public static async Task<IReadOnlyList<CompensationRecord>> RunAsync(
        TaskOrchestrationContext context,
        MigrationRecorder recorder,
        string waveId,
        DatabaseSpec database,
        IReadOnlyList<Compensation> registered,
        Uri? webhook,
        TargetWrites targetWrites = TargetWrites.Refuse)
    {
        var records = new List<CompensationRecord>();
        var step = new DatabaseStepInput(waveId, database);
        if (registered.Count == 0)
        {
            return records;
        }

#pragma warning disable CA2007 // Orchestrator code: continuations stay on the orchestrator thread.
        ConnectionCheck connections;
        try
        {
            connections = await context.CallActivityAsync<ConnectionCheck>(MigrationActivityNames.ResolveConnections, step, ActivityRetry);
        }
        catch (TaskFailedException)
        {
            // The check itself broke: each compensation resolves its connections anyway and records its own failure.
            connections = new ConnectionCheck(null, null);
        }

        if (registered.Contains(Compensation.SwitchConsumersBack) && !connections.Resolved)
        {
            string refusal = $"rollback refused: {connections.Describe()}; consumers stay on the target";
            await AlertAsync(context, recorder, waveId, database.Name, "compensationFailed", $"Rollback of '{database.Name}' not started: {connections.Describe()}.", webhook);
            return Recorded(recorder, database, new CompensationRecord(Compensation.SwitchConsumersBack, false, refusal) { Refused = true });
        }

        if (registered.Contains(Compensation.SwitchConsumersBack))
        {
            // Consumers have been using the target: a rollback must not silently drop what they wrote.
            TargetChanges changes;
            try
            {
                changes = await context.CallActivityAsync<TargetChanges>(MigrationActivityNames.GetTargetChanges, step, ActivityRetry);
            }
            catch (TaskFailedException ex)
            {
                changes = TargetChanges.UnknownChanges($"could not be checked: {Describe(ex)}");
            }

            if (changes.MayHaveChanged)
            {
                if (targetWrites == TargetWrites.Refuse)
                {
                    string refusal = $"rollback refused: the target {changes.Summary}. Roll back with --copy-back (apply the target's changes to the source first) or --discard-target-writes (keep a backup of the target, then drop it)";
                    await AlertAsync(context, recorder, waveId, database.Name, "rollbackRefused", $"Rollback of '{database.Name}' refused: the target {changes.Summary}.", webhook);
                    return Recorded(recorder, database, new CompensationRecord(Compensation.SwitchConsumersBack, false, refusal) { Refused = true, NeedsTargetWritesChoice = true });
                }

                var (before, activity) = targetWrites == TargetWrites.CopyBack
                    ? (Compensation.CopyBack, MigrationActivityNames.CopyBack)
                    : (Compensation.BackupTarget, MigrationActivityNames.BackupTarget);
                try
                {
                    await context.CallActivityAsync<object?>(activity, step, ActivityRetry);
                    records.Add(Recorded(recorder, database.Name, new CompensationRecord(before, true, null)));
                }
                catch (TaskFailedException ex)
                {
                    // Without the copy-back or the backup, going on would lose the target's writes: stop here, undo nothing.
                    string error = Describe(ex);
                    await AlertAsync(context, recorder, waveId, database.Name, "compensationFailed", $"{before} of '{database.Name}' failed: {error}", webhook);
                    return Recorded(recorder, database, new CompensationRecord(before, false, error) { Refused = true });
                }
            }
        }
#pragma warning restore CA2007

        foreach (var compensation in registered.Reverse())
        {
            string activity = compensation switch
            {
                Compensation.DropTarget => MigrationActivityNames.DropTarget,
                Compensation.MakeSourceWritable => MigrationActivityNames.MakeSourceWritable,
                _ => MigrationActivityNames.SwitchConsumersBack,
            };
            // Making the source writable needs only the source; dropping the target needs both (the provider checks it is not the source).
            string? unresolved = compensation switch
            {
                Compensation.MakeSourceWritable => connections.Source,
                Compensation.DropTarget => connections.Target ?? connections.Source,
                _ => null,
            };
            try
            {
#pragma warning disable CA2007 // Orchestrator code: continuations stay on the orchestrator thread.
                if (unresolved is not null)
                {
                    records.Add(Recorded(recorder, database.Name, new CompensationRecord(compensation, false, unresolved)));
                    await AlertAsync(context, recorder, waveId, database.Name, "compensationFailed", $"Compensation {compensation} of '{database.Name}' not run: {unresolved}", webhook);
                    continue;
                }

                await context.CallActivityAsync<object?>(activity, new DatabaseStepInput(waveId, database), ActivityRetry);
                records.Add(Recorded(recorder, database.Name, new CompensationRecord(compensation, true, null)));
            }
            catch (TaskFailedException ex)
            {
                string error = Describe(ex);
                records.Add(Recorded(recorder, database.Name, new CompensationRecord(compensation, false, error)));
                await AlertAsync(context, recorder, waveId, database.Name, "compensationFailed", $"Compensation {compensation} of '{database.Name}' failed: {error}", webhook);
#pragma warning restore CA2007
            }
        }

        return records;
    }

    /// <summary>The compensations still to undo after <paramref name="records"/> ran: those that did not succeed, in registration order.</summary>
    public static IReadOnlyList<Compensation> StillRegistered(IReadOnlyList<Compensation> registered, IReadOnlyList<CompensationRecord> records) =>
        [.. registered.Where(c => !records.Any(r => r.Compensation == c && r.Succeeded))];

    /// <summary>Records the alert, then raises it through the alert activity; a failed delivery never changes the migration's course.</summary>
    public static async Task AlertAsync(TaskOrchestrationContext context, MigrationRecorder recorder, string waveId, string? database, string kind, string message, Uri? webhook)
    {
        recorder.Alert(database, kind, message);
        try
        {
#pragma warning disable CA2007 // Orchestrator code: continuations stay on the orchestrator thread.
            await context.CallActivityAsync<object?>(
                MigrationActivityNames.SendAlert,
                new AlertRequest(new MigrationAlert(waveId, database, kind, message, context.CurrentUtcDateTime), webhook),
                ActivityRetry);
#pragma warning restore CA2007
        }
        catch (TaskFailedException)
        {
            // An alert that cannot be delivered must not change the migration's course; the sink logged why.
        }
    }

    /// <summary>Records one compensation's outcome as it happens, and returns it.</summary>
    private static CompensationRecord Recorded(MigrationRecorder recorder, string database, CompensationRecord record)
    {
        recorder.Compensation(database, record);
        return record;
    }

    /// <summary>Records a compensation that ends the rollback, and returns it as the rollback's only record.</summary>
    private static CompensationRecord[] Recorded(MigrationRecorder recorder, DatabaseSpec database, CompensationRecord record) =>
        [Recorded(recorder, database.Name, record)];

    /// <summary>The innermost failure, as "Type: message": what an operator needs, without stack traces.</summary>
    public static string Describe(TaskFailedException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var details = failure.FailureDetails;
        while (details.InnerFailure is not null && details.ErrorType == typeof(TaskFailedException).FullName)
        {
            details = details.InnerFailure;
        }

        string type = details.ErrorType[(details.ErrorType.LastIndexOf('.') + 1)..];
        return $"{type}: {details.ErrorMessage}";
    }
}
