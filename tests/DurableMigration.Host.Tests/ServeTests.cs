using System.Net;
using System.Text.Json.Nodes;

namespace DurableMigration.Host.Tests;

/// <summary><c>dmig serve</c>'s HTTP API through a real Kestrel server: every route, status code and key rule.</summary>
public sealed class ServeTests(ServeFixture server) : IClassFixture<ServeFixture>
{
    [Fact]
    public async Task Health_WithoutKey_Returns200()
    {
        var (response, body) = await server.SendAsync(HttpMethod.Get, "api/health", key: string.Empty);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("healthy", body!["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("GET", "api/waves")]
    [InlineData("POST", "api/waves")]
    [InlineData("GET", "api/waves/any")]
    [InlineData("DELETE", "api/waves/any")]
    [InlineData("POST", "api/waves/any/approve")]
    [InlineData("POST", "api/waves/any/approve/alpha")]
    [InlineData("POST", "api/waves/any/retry/alpha")]
    [InlineData("POST", "api/waves/any/rollback")]
    [InlineData("POST", "api/waves/any/terminate")]
    [InlineData("POST", "api/waves/any/suspend")]
    [InlineData("POST", "api/waves/any/resume")]
    [InlineData("POST", "api/waves/any/raiseEvent/Rollback")]
    public async Task EveryWaveRoute_WithoutOrWithWrongKey_Returns401WithNoBody(string method, string path)
    {
        var (missing, missingBody) = await server.SendAsync(new HttpMethod(method), path, key: string.Empty);
        var (wrong, wrongBody) = await server.SendAsync(new HttpMethod(method), path, key: server.Key[..^1] + (server.Key[^1] == 'A' ? 'B' : 'A'));
        var (query, _) = await server.SendAsync(new HttpMethod(method), $"{path}?code={server.Key[..10]}", key: string.Empty);

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, query.StatusCode);
        Assert.Null(missingBody);
        Assert.Null(wrongBody);
    }

    [Fact]
    public async Task KeyInQueryCode_IsAccepted()
    {
        var (response, body) = await server.SendAsync(HttpMethod.Get, $"api/waves?code={Uri.EscapeDataString(server.Key)}", key: string.Empty);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.IsType<JsonArray>(body);
    }

    [Fact]
    public async Task Start_ManifestWithErrors_Returns400ProblemDetailsListingEveryError()
    {
        var (response, body) = await server.SendAsync(HttpMethod.Post, "api/waves", """{"wave": "bad wave!", "databases": [{"name": "a"}, {"name": "a", "dependsOn": ["zzz"]}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Invalid manifest", body!["title"]!.GetValue<string>());
        Assert.Equal(400, body["status"]!.GetValue<int>());
        var paths = body["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToList();
        Assert.True(paths.Count >= 4, string.Join(", ", paths));
        Assert.Contains("databases[0].source", paths);
        Assert.Contains("databases[1].dependsOn[0]", paths);
    }

    [Fact]
    public async Task Start_BodyOverTheLimit_Returns413()
    {
        long overLimit = (1024 * 1024) + 1;

        int status = await server.StatusOfDeclaredBodyAsync("api/waves", overLimit);
        int withoutKey = await server.StatusOfDeclaredBodyAsync("api/waves", overLimit, key: string.Empty);

        Assert.Equal((int)HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal((int)HttpStatusCode.Unauthorized, withoutKey);
    }

    [Fact]
    public async Task Start_ThenPoll_Answers202WithManagementPayloadThen200WhenDone_AndRefusesTheSameIdWith409()
    {
        using var sources = new WaveWorkspace();
        string manifest = await File.ReadAllTextAsync(sources.WriteManifest("http-start"));

        var (response, payload) = await server.SendAsync(HttpMethod.Post, "api/waves", manifest);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        string status = new Uri(server.BaseUri, "api/waves/http-start").ToString();
        Assert.Equal(status, response.Headers.Location!.ToString());
        Assert.Equal(TimeSpan.FromSeconds(10), response.Headers.RetryAfter!.Delta);
        Assert.Equal("http-start", payload!["id"]!.GetValue<string>());
        Assert.Equal(status, payload["statusQueryGetUri"]!.GetValue<string>());
        Assert.Equal(status, payload["purgeHistoryDeleteUri"]!.GetValue<string>());
        foreach (string uri in new[] { "sendEventPostUri", "terminatePostUri", "suspendPostUri", "resumePostUri" })
        {
            Assert.StartsWith(status + "/", payload[uri]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(server.Key, payload.ToJsonString(), StringComparison.Ordinal);

        var (again, problem) = await server.SendAsync(HttpMethod.Post, "api/waves", manifest);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("http-start", problem!["instanceId"]!.GetValue<string>());

        var done = await server.PollUntilDoneAsync("api/waves/http-start");
        Assert.Equal("Completed", done["runtimeStatus"]!.GetValue<string>());
        Assert.Equal("Completed", done["output"]!["outcome"]!.GetValue<string>());
        Assert.Null(done["historyEvents"]);

        var (finished, finishedProblem) = await server.SendAsync(HttpMethod.Post, "api/waves", manifest);
        Assert.Equal(HttpStatusCode.Conflict, finished.StatusCode);
        Assert.Equal("Wave finished", finishedProblem!["title"]!.GetValue<string>());

        var (changed, changes) = await server.SendAsync(HttpMethod.Post, "api/waves", manifest.Replace("\"maxParallel\": 2", "\"maxParallel\": 1", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Conflict, changed.StatusCode);
        Assert.Equal("Manifest changed", changes!["title"]!.GetValue<string>());
        Assert.Contains(changes["errors"]!.AsArray(), e => e!["path"]!.GetValue<string>() == "maxParallel");

        var (withHistory, history) = await server.SendAsync(HttpMethod.Get, "api/waves/http-start?showHistory=true");
        Assert.Equal(HttpStatusCode.OK, withHistory.StatusCode);
        var events = history!["historyEvents"]!.AsArray().Select(e => e!["eventType"]!.GetValue<string>()).ToList();
        Assert.Equal("ExecutionStarted", events[0]);
        Assert.Equal("ExecutionCompleted", events[^1]);
    }

    [Fact]
    public async Task Start_YamlManifest_Returns202()
    {
        using var sources = new WaveWorkspace();
        string yaml = $"""
            wave: http-yaml
            databases:
              - name: alpha
                source: {"{"} engine: sqlite, connection: "Data Source={sources.SourcePath("alpha")}" {"}"}
                target: {"{"} engine: sqlite, connection: "Data Source={sources.TargetPath("alpha")}" {"}"}
            """;

        var (response, payload) = await server.SendAsync(HttpMethod.Post, "api/waves", yaml, "application/yaml");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("http-yaml", payload!["id"]!.GetValue<string>());
        Assert.Equal("Completed", (await server.PollUntilDoneAsync("api/waves/http-yaml"))["runtimeStatus"]!.GetValue<string>());
    }

    [Fact]
    public async Task ManualApproval_IsApprovedOverHttp_ThenApproveAnswers410()
    {
        using var sources = new WaveWorkspace();
        await server.SendAsync(HttpMethod.Post, "api/waves", await File.ReadAllTextAsync(sources.WriteManifest("http-approve", approval: "manual")));

        var (unknown, unknownProblem) = await server.SendAsync(HttpMethod.Post, "api/waves/http-approve/approve/nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("No such database", unknownProblem!["title"]!.GetValue<string>());

        var approved = new List<string>();
        var done = await server.PollUntilDoneAsync("api/waves/http-approve", async status =>
        {
            if (status["customStatus"]?["attention"] is JsonArray { Count: > 0 } attention)
            {
                string database = attention[0]!["database"]!.GetValue<string>();
                var (response, body) = await server.SendAsync(HttpMethod.Post, $"api/waves/http-approve/approve/{database}");
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                approved.AddRange(body!["approved"]!.AsArray().Select(a => a!.GetValue<string>()));
            }
        });

        Assert.Equal("Completed", done["output"]!["outcome"]!.GetValue<string>());
        Assert.Equal(["alpha", "beta", "gamma"], approved.Order().ToList());
        var (late, lateProblem) = await server.SendAsync(HttpMethod.Post, "api/waves/http-approve/approve");
        Assert.Equal(HttpStatusCode.Gone, late.StatusCode);
        Assert.Equal("Wave finished", lateProblem!["title"]!.GetValue<string>());
        var (retry, _) = await server.SendAsync(HttpMethod.Post, "api/waves/http-approve/retry/alpha");
        Assert.Equal(HttpStatusCode.Conflict, retry.StatusCode);
    }

    [Fact]
    public async Task FinishedWave_RollsBackOverHttp_ThenPurgeDeletesIt()
    {
        using var sources = new WaveWorkspace();
        await server.SendAsync(HttpMethod.Post, "api/waves", await File.ReadAllTextAsync(sources.WriteManifest("http-rollback")));
        await server.PollUntilDoneAsync("api/waves/http-rollback");

        var (conflicting, _) = await server.SendAsync(HttpMethod.Post, "api/waves/http-rollback/rollback", """{"copyBack": true, "discardTargetWrites": true}""");
        Assert.Equal(HttpStatusCode.BadRequest, conflicting.StatusCode);

        var (response, payload) = await server.SendAsync(HttpMethod.Post, "api/waves/http-rollback/rollback?retry=false");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("http-rollback:rollback", payload!["id"]!.GetValue<string>());
        var rollback = await server.PollUntilDoneAsync(response.Headers.Location!.PathAndQuery.TrimStart('/'));
        Assert.Equal("RolledBack", rollback["output"]!["outcome"]!.GetValue<string>());
        Assert.Null(await sources.TryWriteAsync("alpha"));

        var (wave, waveBody) = await server.SendAsync(HttpMethod.Get, "api/waves/http-rollback");
        Assert.Equal(HttpStatusCode.OK, wave.StatusCode);
        Assert.Equal("RolledBack", waveBody!["rollback"]!["output"]!["outcome"]!.GetValue<string>());

        var (purge, purged) = await server.SendAsync(HttpMethod.Delete, "api/waves/http-rollback");
        Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
        Assert.True(purged!["purgedInstanceCount"]!.GetValue<int>() >= 5);
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Get, "api/waves/http-rollback")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Delete, "api/waves/http-rollback")).Response.StatusCode);
    }

    [Fact]
    public async Task RunningWave_SuspendResumeTerminate_AndPurgeOnlyOnceItEnded()
    {
        using var sources = new WaveWorkspace();
        await server.SendAsync(HttpMethod.Post, "api/waves", await File.ReadAllTextAsync(sources.WriteManifest("http-control", approval: "manual")));
        await server.WaitForAsync("api/waves/http-control", status => status["customStatus"]?["attention"] is JsonArray { Count: > 0 });

        var (purgeRunning, purgeProblem) = await server.SendAsync(HttpMethod.Delete, "api/waves/http-control");
        Assert.Equal(HttpStatusCode.Conflict, purgeRunning.StatusCode);
        Assert.Equal("Still running", purgeProblem!["title"]!.GetValue<string>());

        var (suspend, suspended) = await server.SendAsync(HttpMethod.Post, "api/waves/http-control/suspend?reason=maintenance");
        Assert.Equal(HttpStatusCode.Accepted, suspend.StatusCode);
        Assert.Contains(suspended!["instances"]!.AsArray(), i => i!.GetValue<string>() == "http-control");
        await server.WaitForAsync("api/waves/http-control", status => status["runtimeStatus"]!.GetValue<string>() == "Suspended");
        Assert.Equal(HttpStatusCode.Conflict, (await server.SendAsync(HttpMethod.Post, "api/waves/http-control/suspend")).Response.StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await server.SendAsync(HttpMethod.Post, "api/waves/http-control/resume")).Response.StatusCode);
        await server.WaitForAsync("api/waves/http-control", status => status["runtimeStatus"]!.GetValue<string>() == "Running");

        Assert.Equal(HttpStatusCode.Accepted, (await server.SendAsync(HttpMethod.Post, "api/waves/http-control/terminate?reason=test")).Response.StatusCode);
        var ended = await server.PollUntilDoneAsync("api/waves/http-control");
        Assert.Equal("Terminated", ended["runtimeStatus"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Gone, (await server.SendAsync(HttpMethod.Post, "api/waves/http-control/terminate")).Response.StatusCode);
        // The databases' terminations are applied a moment after the wave's: until then purge refuses (409), then it purges.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        HttpStatusCode purged;
        while ((purged = (await server.SendAsync(HttpMethod.Delete, "api/waves/http-control")).Response.StatusCode) == HttpStatusCode.Conflict)
        {
            await Task.Delay(50, timeout.Token);
        }

        Assert.Equal(HttpStatusCode.OK, purged);
    }

    [Fact]
    public async Task UnknownWave_Answers404OnEveryRoute()
    {
        foreach (var (method, path) in new[] { ("GET", "api/waves/none"), ("DELETE", "api/waves/none"), ("POST", "api/waves/none/approve"), ("POST", "api/waves/none/retry/a"), ("POST", "api/waves/none/rollback"), ("POST", "api/waves/none/terminate"), ("POST", "api/waves/none/suspend"), ("POST", "api/waves/none/resume") })
        {
            var (response, body) = await server.SendAsync(new HttpMethod(method), path);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {response.StatusCode}");
            Assert.Equal("No such wave", body!["title"]!.GetValue<string>());
        }

        var (unknownEvent, _) = await server.SendAsync(HttpMethod.Post, "api/waves/none/raiseEvent/Whatever");
        Assert.Equal(HttpStatusCode.BadRequest, unknownEvent.StatusCode);
    }

    [Fact]
    public async Task List_PagesWithContinuationToken_AndFiltersByStatus()
    {
        using var sources = new WaveWorkspace();
        foreach (string wave in new[] { "http-list-1", "http-list-2", "http-list-3" })
        {
            var manifest = await File.ReadAllTextAsync(sources.WriteManifest(wave, targetConnection: db => $"Data Source={Path.Combine(sources.TargetDirectory, $"{wave}-{db}.db")}"));
            Assert.Equal(HttpStatusCode.Accepted, (await server.SendAsync(HttpMethod.Post, "api/waves", manifest)).Response.StatusCode);
        }

        var (all, allBody) = await server.SendAsync(HttpMethod.Get, "api/waves?top=1000");
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        var expected = allBody!.AsArray().Select(w => w!["instanceId"]!.GetValue<string>()).ToList();
        Assert.Contains("http-list-2", expected);
        Assert.DoesNotContain(expected, id => id.Contains(':', StringComparison.Ordinal));

        var paged = new List<string>();
        string? token = null;
        do
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUri, "api/waves?top=1"));
            request.Headers.Add("x-functions-key", server.Key);
            if (token is not null)
            {
                request.Headers.Add("x-ms-continuation-token", token);
            }

            using var response = await server.Http.SendAsync(request);
            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
            Assert.True(page.Count <= 1);
            paged.AddRange(page.Select(w => w!["instanceId"]!.GetValue<string>()));
            token = response.Headers.TryGetValues("x-ms-continuation-token", out var values) ? values.Single() : null;
        }
        while (token is not null);

        Assert.Equal(expected.Where(paged.Contains), paged.Where(expected.Contains));
        Assert.Superset(expected.ToHashSet(), paged.ToHashSet());
        Assert.Equal(paged.Count, paged.Distinct().Count());

        var (filtered, filteredBody) = await server.SendAsync(HttpMethod.Get, "api/waves?runtimeStatus=Terminated,Failed&createdTimeFrom=2000-01-01T00:00:00Z");
        Assert.Equal(HttpStatusCode.OK, filtered.StatusCode);
        Assert.All(filteredBody!.AsArray(), w => Assert.Contains(w!["runtimeStatus"]!.GetValue<string>(), new[] { "Terminated", "Failed" }));
        Assert.Equal(HttpStatusCode.BadRequest, (await server.SendAsync(HttpMethod.Get, "api/waves?runtimeStatus=Sleeping")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await server.SendAsync(HttpMethod.Get, "api/waves?top=0")).Response.StatusCode);
    }

    [Fact]
    public async Task SecondServe_OnTheSameDataDirectory_RefusesWhileTheFirstRunsTheEngine()
    {
        var run = await server.Workspace.DmigSplitAsync("serve", "--urls", "http://127.0.0.1:0");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("is run by process", run.Stderr + run.Stdout, StringComparison.Ordinal);
    }
}
