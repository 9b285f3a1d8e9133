using System.Text.Json.Nodes;
using DurableMigration.Application.Tickets;
using DurableMigration.Host.Tests;
using DurableMigration.Migration;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Application.Tests;

/// <summary><see cref="TicketIntake"/> against the embedded runtime's client on a real SQLite task hub and real SQLite databases.</summary>
public sealed class TicketIntakeTests : EmbeddedHostTest
{
    private TicketIntake Intake => new(new WaveOperations(Host.Client));

    [Theory]
    [InlineData("not json", "$", "not JSON")]
    [InlineData("[1]", "$", "JSON object")]
    [InlineData("""{"ticketId": "CHG1", "action": "deleteEverything", "waveId": "w"}""", "action", "Unknown action 'deleteEverything': use startWave, approveCutover, retry, rollback.")]
    [InlineData("""{"action": "rollback", "waveId": "w"}""", "ticketId", "ticketId is missing.")]
    [InlineData("""{"ticketId": "CHG 1/2", "action": "rollback", "waveId": "w"}""", "ticketId", "is not a ticket id")]
    [InlineData("""{"ticketId": "CHG1", "action": "approveCutover"}""", "waveId", "approveCutover needs waveId")]
    [InlineData("""{"ticketId": "CHG1", "action": "retry", "waveId": "w"}""", "database", "retry needs database")]
    [InlineData("""{"ticketId": "CHG1", "action": "startWave"}""", "manifest", "startWave needs manifest")]
    [InlineData("""{"ticketId": "CHG1", "action": "rollback", "waveId": "w", "wave": "w"}""", "wave", "Unknown property 'wave'")]
    [InlineData("""{"ticketId": "CHG1", "action": "rollback", "waveId": "w", "targetWrites": "keep"}""", "targetWrites", "use refuse, copyBack or discard")]
    public async Task HandleAsync_MalformedMessage_IsRejectedWithWhereAndWhat(string message, string path, string fragment)
    {
        var result = await Intake.HandleAsync(message);

        Assert.Equal(TicketOutcome.Rejected, result.Outcome);
        Assert.Equal(400, result.Refusal!.StatusCode);
        Assert.Contains(result.Refusal.Errors, e => e.Path == path && e.Message.Contains(fragment, StringComparison.Ordinal));
    }

    [Fact]
    public async Task HandleAsync_StartWaveWithAnInvalidManifest_ReportsTheManifestsErrorsUnderManifest()
    {
        var result = await Intake.HandleAsync("""{"ticketId": "CHG1", "action": "startWave", "manifest": {"wave": "w", "databases": [{"name": "a"}]}}""");

        Assert.Equal(TicketOutcome.Rejected, result.Outcome);
        Assert.All(result.Refusal!.Errors, e => Assert.StartsWith("manifest", e.Path, StringComparison.Ordinal));
        Assert.Null(await Host.Client.GetInstanceAsync("w"));
    }

    [Fact]
    public async Task HandleAsync_StartWave_RecordsTheTicketOnTheWaveAndInItsStatus()
    {
        var result = await Intake.HandleAsync(StartMessage("t1", "CHG0030001"));
        await Host.StartEngineAsync();
        var wave = await Host.Client.WaitForInstanceCompletionAsync("t1", getInputsAndOutputs: true);

        Assert.Equal(TicketOutcome.Done, result.Outcome);
        Assert.Equal("t1", result.FollowInstanceId);
        Assert.Equal(new TicketReference("CHG0030001", "servicenow", "jane.doe@contoso.com"), wave.ReadInputAs<WaveInput>()!.Ticket);
        Assert.Equal("CHG0030001", wave.ReadCustomStatusAs<WaveStatus>()!.Ticket);
        Assert.Equal("CHG0030001", (await WaveView.LoadAsync(Host.Client, "t1", CancellationToken.None))!.Ticket!.Id);
    }

    [Fact]
    public async Task HandleAsync_TheSameStartDeliveredTwice_StartsOneWaveAndSaysDuplicate()
    {
        var first = await Intake.HandleAsync(StartMessage("t2", "CHG2"));
        var second = await Intake.HandleAsync(StartMessage("t2", "CHG2"));

        Assert.Equal(TicketOutcome.Done, first.Outcome);
        Assert.Equal(TicketOutcome.Duplicate, second.Outcome);
        Assert.Equal("started wave t2", second.Receipt!.Done);
        Assert.Single(await WavesAsync());
    }

    [Fact]
    public async Task HandleAsync_AnotherTicketStartingTheSameWave_IsRejectedAsRunning()
    {
        await Intake.HandleAsync(StartMessage("t3", "CHG3"));

        var other = await Intake.HandleAsync(StartMessage("t3", "CHG4"));

        Assert.Equal(TicketOutcome.Rejected, other.Outcome);
        Assert.Equal(409, other.Refusal!.StatusCode);
    }

    [Fact]
    public async Task HandleAsync_ApprovalDeliveredTwice_ApprovesOnce_AndAnApprovalForAnUnknownWaveIsRejected()
    {
        await Intake.HandleAsync(StartMessage("t4", "CHG5", approval: "manual"));
        await Host.StartEngineAsync();
        await WaitUntilAsync(async () => (await WaveView.LoadAsync(Host.Client, "t4", CancellationToken.None))!.StateOf("alpha") == DatabaseState.AwaitingApproval);
        string approve = """{"ticketId": "MIG-142", "system": "jira", "action": "approveCutover", "waveId": "t4", "database": "alpha", "requester": "jdoe"}""";

        var first = await Intake.HandleAsync(approve);
        var second = await Intake.HandleAsync(approve);
        var unknown = await Intake.HandleAsync(approve.Replace("\"t4\"", "\"nope\"", StringComparison.Ordinal));

        Assert.Equal(TicketOutcome.Done, first.Outcome);
        Assert.Equal("approved cutover of alpha", first.Receipt!.Done);
        Assert.Equal(TicketOutcome.Duplicate, second.Outcome);
        Assert.Equal(TicketOutcome.Rejected, unknown.Outcome);
        Assert.Equal(404, unknown.Refusal!.StatusCode);
    }

    [Fact]
    public async Task HandleAsync_RollbackOfAFinishedWave_StartsItsRollbackAndNamesItToFollow()
    {
        await Intake.HandleAsync(StartMessage("t5", "CHG6"));
        await Host.StartEngineAsync();
        await Host.Client.WaitForInstanceCompletionAsync("t5");

        var result = await Intake.HandleAsync("""{"ticketId": "CHG7", "action": "rollback", "waveId": "t5", "targetWrites": "discard"}""");
        var rollback = await Host.Client.WaitForInstanceCompletionAsync("t5:rollback", getInputsAndOutputs: true);

        Assert.Equal(TicketOutcome.Done, result.Outcome);
        Assert.Equal("t5:rollback", result.FollowInstanceId);
        Assert.Equal(WaveOutcome.RolledBack, rollback.ReadOutputAs<WaveResult>()!.Outcome);
    }

    [Fact]
    public async Task Purge_OfAWaveStartedByATicket_RemovesItsReceiptsToo()
    {
        await Intake.HandleAsync(StartMessage("t6", "CHG8"));
        await Host.StartEngineAsync();
        await Host.Client.WaitForInstanceCompletionAsync("t6");

        await new WaveOperations(Host.Client).PurgeAsync("t6");
        var again = await Intake.HandleAsync(StartMessage("t6", "CHG8"));

        Assert.Equal(TicketOutcome.Done, again.Outcome);
    }

    private string StartMessage(string wave, string ticket, string approval = "auto")
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Workspace.WriteManifest(
            wave,
            approval: approval,
            targetConnection: db => $"Data Source={Path.Combine(Workspace.TargetDirectory, $"{wave}-{ticket}-{db}.db")}")));
        return new JsonObject
        {
            ["ticketId"] = ticket,
            ["system"] = "servicenow",
            ["action"] = "startWave",
            ["requester"] = "jane.doe@contoso.com",
            ["manifest"] = manifest,
        }.ToJsonString();
    }

    private async Task<List<OrchestrationMetadata>> WavesAsync()
    {
        var waves = new List<OrchestrationMetadata>();
        await foreach (var instance in Host.Client.GetAllInstancesAsync(new OrchestrationQuery()))
        {
            if (instance.Name == MigrationNames.WaveOrchestration)
            {
                waves.Add(instance);
            }
        }

        return waves;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!await condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
