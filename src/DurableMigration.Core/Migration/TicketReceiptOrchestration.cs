using Microsoft.DurableTask;

namespace DurableMigration.Migration;

/// <summary>What a ticket asked for and what was done: the input and output of <see cref="TicketReceiptOrchestration"/>.</summary>
/// <param name="Ticket">The ticket.</param>
/// <param name="Action">The action asked for (<c>startWave</c>, <c>approveCutover</c>, <c>retry</c>, <c>rollback</c>).</param>
/// <param name="WaveId">The wave it acted on.</param>
/// <param name="Database">The database it acted on, when it named one.</param>
/// <param name="Done">What was done, in words (<c>started wave w1</c>, <c>approved cutover of orders</c>).</param>
public sealed record TicketReceipt(TicketReference Ticket, string Action, string WaveId, string? Database, string Done);

/// <summary>
/// The receipt of a ticket's request, started under the request's own instance id once the request was carried out. It
/// completes at once; its existence is what tells a second delivery of the same message that there is nothing left to do,
/// on every Durable Task backend, since an instance id is unique in a task hub.
/// </summary>
public sealed class TicketReceiptOrchestration : TaskOrchestrator<TicketReceipt, TicketReceipt>
{
    /// <inheritdoc/>
    public override Task<TicketReceipt> RunAsync(TaskOrchestrationContext context, TicketReceipt input) => Task.FromResult(input);
}
