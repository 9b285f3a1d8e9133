using System.Net;
using System.Text.Json.Nodes;
using DurableMigration.Functions.Tickets;
using DurableMigration.Host.Tests;
using Microsoft.Extensions.DependencyInjection;
using static DurableMigration.Functions.Tests.FunctionSeams;

namespace DurableMigration.Functions.Tests;

/// <summary>The app's ticket functions with Moq's <c>FunctionContext</c> and <c>HttpRequestData</c> over the embedded runtime's real client.</summary>
public sealed class TicketFunctionsTests(FunctionsAppFixture app) : IClassFixture<FunctionsAppFixture>
{
    private TicketFunctions Tickets => ActivatorUtilities.CreateInstance<TicketFunctions>(app.Services);

    [Fact]
    public async Task TicketQueue_AStartDeliveredTwice_StartsOneWaveRecordingItsTicket()
    {
        using var sources = new WaveWorkspace();
        string message = StartMessage(sources, "func-ticket", "CHG0030001");

        await Tickets.TicketQueue(message, app.Client, Context());
        await Tickets.TicketQueue(message, app.Client, Context());
        var done = await app.PollUntilDoneAsync("func-ticket");

        Assert.Equal("Completed", done["output"]!["outcome"]!.GetValue<string>());
        Assert.Equal("CHG0030001", done["customStatus"]!["ticket"]!.GetValue<string>());
    }

    [Fact]
    public async Task TicketQueue_AMalformedMessage_Throws_SoTheHostRetriesAndPoisonsIt()
    {
        var error = await Assert.ThrowsAsync<TicketRejectedException>(() =>
            Tickets.TicketQueue("""{"ticketId": "CHG1", "action": "dropDatabase", "waveId": "w"}""", app.Client, Context()));

        Assert.Contains("Unknown action 'dropDatabase'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostTicket_Answers202ThenDuplicate200_AndAnUnknownWave404()
    {
        using var sources = new WaveWorkspace();
        string message = StartMessage(sources, "func-post-ticket", "MIG-142");

        var first = Read(await FunctionsAppFixture.CallAsync(r => Tickets.PostTicket(r, app.Client), "POST", "tickets", message));
        var second = Read(await FunctionsAppFixture.CallAsync(r => Tickets.PostTicket(r, app.Client), "POST", "tickets", message));
        var unknown = Read(await FunctionsAppFixture.CallAsync(
            r => Tickets.PostTicket(r, app.Client), "POST", "tickets", """{"ticketId": "MIG-143", "action": "rollback", "waveId": "no-such-wave"}"""));

        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal(FunctionsAppFixture.BaseUrl + "waves/func-post-ticket", first.Body!["statusQueryGetUri"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal("duplicate", second.Body!["outcome"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        await app.PollUntilDoneAsync("func-post-ticket");
    }

    private static string StartMessage(WaveWorkspace sources, string wave, string ticket) => new JsonObject
    {
        ["ticketId"] = ticket,
        ["system"] = "servicenow",
        ["action"] = "startWave",
        ["manifest"] = JsonNode.Parse(File.ReadAllText(sources.WriteManifest(wave))),
    }.ToJsonString();
}
