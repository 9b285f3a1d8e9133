using DurableMigration.Migration;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace DurableMigration.Functions.Orchestrations;

/// <summary>The orchestrations as Durable Functions: each runs the same <see cref="TaskOrchestrator{TInput, TOutput}"/> class as the embedded runtime.</summary>
/// <remarks>
/// Function names are the names the orchestrations are called by (<see cref="MigrationNames"/>): the wave starts its
/// databases and a rollback as sub-orchestrations under these names, on every runtime.
/// </remarks>
public static class OrchestrationFunctions
{
    /// <summary>The wave: pre-flight, databases in dependency order, failure policy.</summary>
    [Function(MigrationNames.WaveOrchestration)]
    public static Task<WaveResult> WaveOrchestration([OrchestrationTrigger] TaskOrchestrationContext context) =>
        RunAsync<WaveOrchestration, WaveInput, WaveResult>(context);

    /// <summary>One database: migrate, monitor, cutover gate, cutover, post-validate, remediate; compensations on failure.</summary>
    [Function(MigrationNames.DatabaseMigrationOrchestration)]
    public static Task<DatabaseMigrationResult> DatabaseMigrationOrchestration([OrchestrationTrigger] TaskOrchestrationContext context) =>
        RunAsync<DatabaseMigrationOrchestration, DatabaseMigrationInput, DatabaseMigrationResult>(context);

    /// <summary>The rollback of a finished wave (<c>&lt;wave&gt;:rollback</c>).</summary>
    [Function(MigrationNames.WaveRollbackOrchestration)]
    public static Task<WaveResult> WaveRollbackOrchestration([OrchestrationTrigger] TaskOrchestrationContext context) =>
        RunAsync<WaveRollbackOrchestration, WaveRollbackInput, WaveResult>(context);

    /// <summary>The receipt of a ticket's request, so a second delivery is recognised (<c>docs/tickets.md</c>).</summary>
    [Function(MigrationNames.TicketReceiptOrchestration)]
    public static Task<TicketReceipt> TicketReceiptOrchestration([OrchestrationTrigger] TaskOrchestrationContext context) =>
        RunAsync<TicketReceiptOrchestration, TicketReceipt, TicketReceipt>(context);

    /// <summary>
    /// Runs a new <typeparamref name="TOrchestrator"/> on <paramref name="context"/> with its input, as the SDK's worker
    /// does for a registered class: a new object per execution, since orchestrators keep per-run state in fields.
    /// </summary>
    internal static Task<TOutput> RunAsync<TOrchestrator, TInput, TOutput>(TaskOrchestrationContext context)
        where TOrchestrator : TaskOrchestrator<TInput, TOutput>, new()
    {
        ArgumentNullException.ThrowIfNull(context);
        return new TOrchestrator().RunAsync(context, context.GetInput<TInput>()!);
    }
}
