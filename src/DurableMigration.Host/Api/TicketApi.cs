using System.Text.Json.Nodes;
using DurableMigration.Application;
using DurableMigration.Application.Tickets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DurableMigration.Host.Api;

/// <summary><c>POST /api/tickets</c>: a ticket message (docs/tickets.md) from a system that calls webhooks rather than writing to the queue.</summary>
internal static class TicketApi
{
    /// <summary>Maps <c>POST /api/tickets</c>, behind the same key as the wave API.</summary>
    public static IEndpointRouteBuilder MapTicketApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/tickets", HandleAsync).AddEndpointFilter<RequestLogFilter>().AddEndpointFilter<ApiKeyFilter>();
        return app;
    }

    /// <summary>202 with what was done and the instance to follow; 200 when the same request was handled before; the refusal as problem details otherwise.</summary>
    private static async Task<IResult> HandleAsync(HttpRequest request, TicketIntake intake, WaveApiOptions options, CancellationToken ct)
    {
        var (text, tooLarge) = await WaveApi.ReadBodyAsync(request, options.MaxRequestBodySize, ct).ConfigureAwait(false);
        if (tooLarge)
        {
            return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var result = await intake.HandleAsync(text, ct).ConfigureAwait(false);
        if (result.Refusal is { } refusal)
        {
            return WaveApi.Problem(refusal);
        }

        var receipt = result.Receipt!;
        var body = new JsonObject
        {
            ["ticketId"] = receipt.Ticket.Id,
            ["action"] = receipt.Action,
            ["outcome"] = result.Outcome == TicketOutcome.Duplicate ? "duplicate" : "done",
            ["done"] = receipt.Done,
            ["waveId"] = receipt.WaveId,
            ["database"] = receipt.Database,
        };
        string follow = result.FollowInstanceId ?? receipt.WaveId;
        foreach (var (name, value) in WaveJson.ManagementPayload(WaveApi.WavesUri(request), follow))
        {
            body[name] = value?.DeepClone();
        }

        return result.Outcome == TicketOutcome.Duplicate
            ? TypedResults.Ok(body)
            : TypedResults.Accepted(body["statusQueryGetUri"]!.GetValue<string>(), body);
    }
}
