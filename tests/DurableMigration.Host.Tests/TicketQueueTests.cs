using System.Net;
using System.Text.Json.Nodes;
using DurableMigration.Monitoring;
using DurableMigration.Providers.Monitoring;

namespace DurableMigration.Host.Tests;

/// <summary>Ticket messages through <c>dmig serve --queue</c> on a real Azurite, and through <c>POST /api/tickets</c>.</summary>
public sealed class TicketQueueTests(TicketQueueFixture server) : IClassFixture<TicketQueueFixture>
{
    [Fact]
    public async Task StartWaveMessage_StartsTheWaveWithItsTicket_AndASecondDeliveryIsIgnored()
    {
        using var sources = new WaveWorkspace();
        string message = StartMessage(sources, "q-start", "CHG0030001");

        await server.SendTicketAsync(message);
        await server.SendTicketAsync(message);
        var done = await PollUntilDoneOnceStartedAsync("api/waves/q-start");
        await server.WaitForQueueDrainedAsync();

        Assert.Equal("Completed", done["output"]!["outcome"]!.GetValue<string>());
        Assert.Equal("CHG0030001", done["input"]!["ticket"]!["id"]!.GetValue<string>());
        Assert.Equal("servicenow", done["input"]!["ticket"]!["system"]!.GetValue<string>());
        Assert.Equal("CHG0030001", done["customStatus"]!["ticket"]!.GetValue<string>());
        var (_, list) = await server.SendAsync(HttpMethod.Get, "api/waves");
        Assert.Single(list!.AsArray(), w => w!["instanceId"]!.GetValue<string>() == "q-start");
        Assert.DoesNotContain(await PoisonAsync(), m => m.Contains("CHG0030001", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MalformedJsonUnknownActionsAndNonBase64Messages_EndInThePoisonQueueAfterFiveAttempts()
    {
        string malformed = """{"ticketId": "CHG-BAD-1", "action": """;
        string unknown = """{"ticketId": "CHG-BAD-2", "action": "dropDatabase", "waveId": "w"}""";

        await server.SendTicketAsync(malformed);
        await server.SendTicketAsync(unknown);
        await server.Queue.SendMessageAsync("not base64 at all!");
        var poison = await WaitForPoisonContainingAsync(malformed, unknown, "not base64 at all!");
        await server.WaitForQueueDrainedAsync();

        Assert.Contains(malformed, poison);
        Assert.Contains(unknown, poison);
        Assert.Contains("failed 5 times and was moved to", LogText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaveStartedOverHttp_IsApprovedFromTheQueue_ThenRolledBackOverHttp()
    {
        using var sources = new WaveWorkspace();
        var (started, _) = await server.SendAsync(HttpMethod.Post, "api/waves", await File.ReadAllTextAsync(sources.WriteManifest("q-cross", approval: "manual")));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);

        var approved = new HashSet<string>();
        var done = await server.PollUntilDoneAsync("api/waves/q-cross", async status =>
        {
            if (status["customStatus"]?["attention"] is JsonArray { Count: > 0 } attention
                && attention[0]!["database"]!.GetValue<string>() is { } database
                && approved.Add(database))
            {
                await server.SendTicketAsync($$"""{"ticketId": "MIG-142", "system": "jira", "action": "approveCutover", "waveId": "q-cross", "database": "{{database}}", "requester": "jdoe"}""");
            }
        });
        Assert.Equal("Completed", done["output"]!["outcome"]!.GetValue<string>());

        var (rollback, payload) = await server.SendAsync(HttpMethod.Post, "api/waves/q-cross/rollback");
        Assert.Equal(HttpStatusCode.Accepted, rollback.StatusCode);
        var rolledBack = await server.PollUntilDoneAsync(rollback.Headers.Location!.PathAndQuery.TrimStart('/'));

        Assert.Equal(["alpha", "beta", "gamma"], approved.Order().ToList());
        Assert.Equal("q-cross:rollback", payload!["id"]!.GetValue<string>());
        Assert.Equal("RolledBack", rolledBack["output"]!["outcome"]!.GetValue<string>());
        Assert.Null(await sources.TryWriteAsync("alpha"));
    }

    [Fact]
    public async Task RollbackMessage_RollsAFinishedWaveBack()
    {
        using var sources = new WaveWorkspace();
        await server.SendTicketAsync(StartMessage(sources, "q-rollback", "CHG100"));
        await PollUntilDoneOnceStartedAsync("api/waves/q-rollback");

        await server.SendTicketAsync("""{"ticketId": "CHG101", "action": "rollback", "waveId": "q-rollback", "requester": "ops"}""");
        var rollback = await PollUntilDoneOnceStartedAsync("api/waves/q-rollback:rollback");

        Assert.Equal("RolledBack", rollback["output"]!["outcome"]!.GetValue<string>());
        // The wave's records and its rollback's carry the ticket that started the wave.
        var records = await RecordsOfAsync("q-rollback", r => r.Kind == MigrationRecordKinds.Wave && r.Step == "rollback" && r.Status == "RolledBack");
        Assert.Contains(records, r => r.Kind == MigrationRecordKinds.Compensation && r.Database == "gamma");
        Assert.All(records, r => Assert.Equal("CHG100", r.Ticket));
    }

    [Fact]
    public async Task PostTickets_Answers202ThenDuplicate200_AndRejectsBadMessagesAndMissingKeys()
    {
        using var sources = new WaveWorkspace();
        string message = StartMessage(sources, "h-ticket", "CHG200");

        var (first, firstBody) = await server.SendAsync(HttpMethod.Post, "api/tickets", message);
        var (second, secondBody) = await server.SendAsync(HttpMethod.Post, "api/tickets", message);
        var (bad, problem) = await server.SendAsync(HttpMethod.Post, "api/tickets", """{"ticketId": "CHG201", "action": "approve", "waveId": "h-ticket"}""");
        var (unknownWave, notFound) = await server.SendAsync(HttpMethod.Post, "api/tickets", """{"ticketId": "CHG202", "action": "rollback", "waveId": "no-such-wave"}""");
        var (noKey, _) = await server.SendAsync(HttpMethod.Post, "api/tickets", message, key: string.Empty);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal("done", firstBody!["outcome"]!.GetValue<string>());
        Assert.Equal("started wave h-ticket", firstBody["done"]!.GetValue<string>());
        Assert.EndsWith("/api/waves/h-ticket", first.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(10), first.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("duplicate", secondBody!["outcome"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("action", problem!["errors"]![0]!["path"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, unknownWave.StatusCode);
        Assert.Equal("No such wave", notFound!["title"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal("Completed", (await server.PollUntilDoneAsync("api/waves/h-ticket"))["runtimeStatus"]!.GetValue<string>());
    }

    private static string StartMessage(WaveWorkspace sources, string wave, string ticket) => new JsonObject
    {
        ["ticketId"] = ticket,
        ["system"] = "servicenow",
        ["action"] = "startWave",
        ["requester"] = "jane.doe@contoso.com",
        ["manifest"] = JsonNode.Parse(File.ReadAllText(sources.WriteManifest(wave))),
    }.ToJsonString();

    /// <summary>A queued request is carried out a moment after it is sent: waits for the instance to exist, then for it to finish.</summary>
    /// <summary>The records of <paramref name="wave"/> in <c>dmig serve</c>'s <c>records.jsonl</c>, once one matches <paramref name="last"/> (written in the background).</summary>
    private async Task<List<MigrationRecord>> RecordsOfAsync(string wave, Func<MigrationRecord, bool> last)
    {
        string path = Path.Combine(server.Workspace.DataDirectory, "records.jsonl");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1)); // guards against a hang; no timing is asserted
        while (true)
        {
            List<MigrationRecord> records = File.Exists(path)
                ? [.. (await File.ReadAllLinesAsync(path, timeout.Token)).Where(l => l.EndsWith('}')).Select(MigrationRecordJson.Deserialize).Where(r => r.Wave == wave)]
                : [];
            if (records.Any(last))
            {
                return records;
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    private async Task<JsonNode> PollUntilDoneOnceStartedAsync(string path)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while ((await server.SendAsync(HttpMethod.Get, path)).Response.StatusCode == HttpStatusCode.NotFound)
        {
            await Task.Delay(100, timeout.Token);
        }

        return await server.PollUntilDoneAsync(path);
    }

    private async Task<List<string>> PoisonAsync() =>
        [.. (await server.Poison.PeekMessagesAsync(32)).Value.Select(m => m.Body.ToString())];

    private async Task<List<string>> WaitForPoisonContainingAsync(params string[] expected)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            var poison = await server.WaitForPoisonAsync(0);
            if (expected.All(e => poison.Contains(e)))
            {
                return poison;
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    private string LogText() =>
        string.Join('\n', Directory.EnumerateFiles(Path.Combine(server.Workspace.DataDirectory, "logs")).Select(f =>
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }));
}

/// <summary><c>dmig serve --queue</c> with a connection it cannot use: exit 2, saying why, never echoing the connection string.</summary>
public sealed class TicketQueueConnectionTests
{
    [Fact]
    public async Task Serve_WithAQueueFromAnUnsetVariable_Exits2NamingTheVariable()
    {
        using var workspace = new WaveWorkspace();

        var run = await workspace.DmigSplitAsync("serve", "--urls", "http://127.0.0.1:0", "--queue", "env:DMIG_TEST_UNSET_QUEUE_CONNECTION");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("the environment variable DMIG_TEST_UNSET_QUEUE_CONNECTION is not set", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithAQueueConnectionThatIsNotOne_Exits2WithoutEchoingIt()
    {
        using var workspace = new WaveWorkspace();

        var run = await workspace.DmigSplitAsync("serve", "--urls", "http://127.0.0.1:0", "--queue", "AccountKey=s3cr3t-value");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--queue is not a storage connection string", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", run.Stdout + run.Stderr, StringComparison.Ordinal);
    }
}
