using DurableMigration.Manifest;
using DurableMigration.Migration.Activities;
using Microsoft.DurableTask;

namespace DurableMigration.Migration;

/// <summary>Runs a database's registered compensations in reverse order, recording each outcome: used by every orchestration that rolls back.</summary>
/// <remarks>A failed compensation is recorded, alerted and the rest still run: a partial rollback is better than none, and nothing is swallowed.</remarks>
internal static class CompensationRunner
{
    /// <summary>Three attempts, 2 s then 4 s apart (at most 30 s); a failure marked <see cref="INonRetriableException"/> is not retried.</summary>
    public static readonly TaskOptions ActivityRetry = TaskOptions.FromRetryPolicy(
        new RetryPolicy(3, TimeSpan.FromSeconds(2), backoffCoefficient: 2.0, maxRetryInterval: TimeSpan.FromSeconds(30))
        {
            HandleFailure = failure => !failure.IsNonRetriable(),
        });

    public static async Task<IReadOnlyList<CompensationRecord>> RunAsync(
        TaskOrchestrationContext context,
        string waveId,
        DatabaseSpec database,
        IReadOnlyList<Compensation> registered,
        Uri? webhook)
    {
        var records = new List<CompensationRecord>();
        foreach (var compensation in registered.Reverse())
        {
            string activity = compensation switch
            {
                Compensation.DropTarget => MigrationActivityNames.DropTarget,
                Compensation.MakeSourceWritable => MigrationActivityNames.MakeSourceWritable,
                _ => MigrationActivityNames.SwitchConsumersBack,
            };
            try
            {
#pragma warning disable CA2007 // Orchestrator code: continuations stay on the orchestrator thread.
                await context.CallActivityAsync<object?>(activity, new DatabaseStepInput(waveId, database), ActivityRetry);
                records.Add(new CompensationRecord(compensation, true, null));
            }
            catch (TaskFailedException ex)
            {
                string error = Describe(ex);
                records.Add(new CompensationRecord(compensation, false, error));
                await AlertAsync(context, waveId, database.Name, "compensationFailed", $"Compensation {compensation} of '{database.Name}' failed: {error}", webhook);
#pragma warning restore CA2007
            }
        }

        return records;
    }

    public static async Task AlertAsync(TaskOrchestrationContext context, string waveId, string? database, string kind, string message, Uri? webhook)
    {
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
