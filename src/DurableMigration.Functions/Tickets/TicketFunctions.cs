using DurableMigration.Application;
using DurableMigration.Application.Http;
using DurableMigration.Application.Tickets;
using DurableMigration.Functions.Http;
using DurableMigration.Migration;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Functions.Tickets;

/// <summary>Ticket intake (<c>docs/tickets.md</c>) in the Functions app: the queue trigger and <c>POST /api/tickets</c>; each request is carried out once (see <see cref="TicketReceiptOrchestration"/>).</summary>
/// <remarks>
/// The queue trigger reads the <c>TICKET_QUEUE_NAME</c> queue (<c>migration-requests</c>) through the <c>TicketQueue</c>
/// connection. A rejected message throws, so the host retries it and, on its <c>maxDequeueCount</c>th attempt (5 in
/// host.json), moves it to <c>&lt;queue&gt;-poison</c>, exactly as <c>dmig serve --queue</c> does.
/// </remarks>
/// <param name="options">The API's limits, the same as <c>dmig serve</c>'s.</param>
/// <param name="logger">Where outcomes are logged (never the message body).</param>
public sealed class TicketFunctions(WaveHttpApiOptions options, ILogger<TicketFunctions> logger)
{
    /// <summary>Carries out a queued ticket message once; throws when it is rejected, so the host retries and then poisons it.</summary>
    [Function("TicketQueue")]
    public async Task TicketQueue(
        [QueueTrigger("%TICKET_QUEUE_NAME%", Connection = "TicketQueue")] string message,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var result = await new TicketIntake(new WaveOperations(client)).HandleAsync(message, context.CancellationToken).ConfigureAwait(false);
        if (result.Refusal is { } refusal)
        {
            string ticket = result.Request is { } request ? $"ticket {request.Ticket.Id} ({request.ActionName}): " : string.Empty;
            throw new TicketRejectedException($"{ticket}{refusal.Title}: {refusal.Detail} {string.Join("; ", refusal.Errors)}".TrimEnd());
        }

        logger.LogInformation(
            "Ticket {Ticket} ({Action}): {Done}{Duplicate}",
            result.Request!.Ticket.Id,
            result.Request.ActionName,
            result.Receipt!.Done,
            result.Outcome == TicketOutcome.Duplicate ? " (handled before; nothing done again)" : string.Empty);
    }

    /// <summary><c>POST /api/tickets</c>: a ticket message from a system that calls webhooks.</summary>
    [Function("PostTicket")]
    public async Task<HttpResponseData> PostTicket(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "tickets")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ct = request.FunctionContext.CancellationToken;
        var response = await new WaveHttpApi(new WaveOperations(client), options).TicketAsync(FunctionsHttp.ToApiRequest(request), ct).ConfigureAwait(false);
        return await FunctionsHttp.ToResponseAsync(request, response, ct).ConfigureAwait(false);
    }
}

/// <summary>A ticket message that was not carried out; thrown so the Functions host retries it and then moves it to the poison queue.</summary>
public sealed class TicketRejectedException : Exception
{
    /// <summary>Creates the exception with why the message was rejected.</summary>
    public TicketRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TicketRejectedException()
    {
    }

    /// <summary>Creates the exception with an inner exception.</summary>
    public TicketRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
