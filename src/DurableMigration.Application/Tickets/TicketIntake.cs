using DurableMigration.Manifest;
using DurableMigration.Migration;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Application.Tickets;

/// <summary>What became of a ticket's message.</summary>
public enum TicketOutcome
{
    /// <summary>The request was carried out, and its receipt recorded.</summary>
    Done,

    /// <summary>The same request was carried out before (a second delivery): nothing was done again.</summary>
    Duplicate,

    /// <summary>The message is malformed, or the wave's state refuses the request; <see cref="TicketResult.Refusal"/> says why. A queue retries it, then sets it aside as poison.</summary>
    Rejected,
}

/// <summary>The result of handling a ticket's message.</summary>
/// <param name="Outcome">What became of it.</param>
/// <param name="Request">The request read from the message; <c>null</c> when it could not be read.</param>
/// <param name="Receipt">What was done: now, or by the first delivery of a duplicate.</param>
/// <param name="FollowInstanceId">The instance to follow: the wave, or <c>&lt;wave&gt;:rollback</c>.</param>
/// <param name="Refusal">Why it was rejected.</param>
public sealed record TicketResult(TicketOutcome Outcome, TicketRequest? Request, TicketReceipt? Receipt, string? FollowInstanceId, Refusal? Refusal);

/// <summary>
/// Carries out ticketing systems' requests (docs/tickets.md) through <see cref="WaveOperations"/>, once per request: the
/// queue listener of <c>dmig serve</c>, <c>POST /api/tickets</c> and the Functions app's queue trigger all call it.
/// </summary>
/// <remarks>
/// A request is recognised by its ticket, action, wave and database. Once carried out, a
/// <see cref="TicketReceiptOrchestration"/> instance records it under that identity, so a second delivery of the same
/// message finds the receipt and does nothing. A host that fails between acting and recording acts again on the next
/// delivery; each action tolerates that (a start of the wave the same ticket started counts as done).
/// </remarks>
/// <param name="operations">The wave operations the requests go through.</param>
public sealed class TicketIntake(WaveOperations operations)
{
    private DurableTaskClient Client => operations.Client;

    /// <summary>Reads <paramref name="message"/> and carries out its request, unless it was carried out before.</summary>
    public async Task<TicketResult> HandleAsync(string message, CancellationToken cancellationToken = default)
    {
        if (!TicketRequest.TryParse(message, out var request, out var errors))
        {
            return Rejected(null, new Refusal(RefusalKind.BadInput, "Invalid ticket message", $"The ticket message has {errors.Count} problem(s); see docs/tickets.md for the format.", errors));
        }

        var previous = await Client.GetInstanceAsync(request!.ReceiptInstanceId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        // The receipt is started only once the request was carried out: whether it has run yet does not matter.
        if (previous?.ReadInputAs<TicketReceipt>() is { } receipt)
        {
            return new TicketResult(TicketOutcome.Duplicate, request, receipt, FollowOf(request), null);
        }

        var (done, follow, refusal) = await ActAsync(request, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return Rejected(request, refusal);
        }

        var recorded = new TicketReceipt(request.Ticket, request.ActionName, request.WaveId, request.Database, done!);
        try
        {
            await Client.ScheduleNewOrchestrationInstanceAsync(
                MigrationNames.TicketReceiptOrchestration,
                recorded,
                new StartOrchestrationOptions(request.ReceiptInstanceId).WithDedupeStatuses(OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Completed),
                cancellationToken).ConfigureAwait(false);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            // A second delivery handled at the same moment recorded it first: the request was carried out either way.
        }

        return new TicketResult(TicketOutcome.Done, request, recorded, follow, null);
    }

    private static TicketResult Rejected(TicketRequest? request, Refusal refusal) => new(TicketOutcome.Rejected, request, null, null, refusal);

    private static string FollowOf(TicketRequest request) =>
        request.Action == TicketAction.Rollback ? MigrationNames.RollbackInstanceId(request.WaveId) : request.WaveId;

    /// <summary>Carries the request out: what was done in words and the instance to follow, or the refusal.</summary>
    private async Task<(string? Done, string? Follow, Refusal? Refusal)> ActAsync(TicketRequest request, CancellationToken cancellationToken)
    {
        switch (request.Action)
        {
            case TicketAction.StartWave:
                var start = await operations.StartAsync(request.Manifest!, $"ticket {request.Ticket.Id}", ticket: request.Ticket, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (start.Outcome == StartOutcome.Started)
                {
                    return ($"started wave {request.WaveId}", request.WaveId, null);
                }

                // The same ticket started it: an earlier delivery that stopped before recording its receipt.
                if (start.Outcome != StartOutcome.ManifestChanged && start.Existing?.ReadInputAs<WaveInput>()?.Ticket?.Id == request.Ticket.Id)
                {
                    return ($"started wave {request.WaveId}", request.WaveId, null);
                }

                return (null, null, start.Refusal);

            case TicketAction.ApproveCutover:
                var approve = await operations.ApproveAsync(request.WaveId, request.Database, request.RequestedBy, cancellationToken).ConfigureAwait(false);
                return approve.Refusal is { } notApproved
                    ? (null, null, notApproved)
                    : ($"approved cutover of {string.Join(", ", approve.Databases)}", request.WaveId, null);

            case TicketAction.Retry:
                var retry = await operations.RetryAsync(request.WaveId, request.Database!, request.RequestedBy, cancellationToken).ConfigureAwait(false);
                return retry.Refusal is { } notRetried ? (null, null, notRetried) : ($"retried {request.Database}", request.WaveId, null);

            default:
                var rollback = await operations.RollbackAsync(request.WaveId, request.TargetWrites, request.RetryRollback, request.RequestedBy, cancellationToken).ConfigureAwait(false);
                return rollback.Refusal is { } notRolledBack
                    ? (null, null, notRolledBack)
                    : ($"rollback of wave {request.WaveId} requested", rollback.InstanceId, null);
        }
    }
}
