using System.Net;
using System.Text.Json.Nodes;
using DurableMigration.AzureStorage;
using DurableMigration.Host.Tests;
using DurableMigration.Functions.Http;
using static DurableMigration.Functions.Tests.FunctionSeams;

namespace DurableMigration.Functions.Tests;

/// <summary>
/// The app's HTTP functions with Moq's <c>HttpRequestData</c> and the embedded runtime's real client, which runs the
/// app's own orchestration and activity functions: the same routes, status codes and payloads as <c>dmig serve</c>.
/// </summary>
public sealed class WaveHttpFunctionsTests(FunctionsAppFixture app) : IClassFixture<FunctionsAppFixture>
{
    private WaveHttpFunctions Http => app.Http;

    [Fact]
    public async Task Health_Returns200Healthy()
    {
        var (status, body) = Read(await FunctionsAppFixture.CallAsync(WaveHttpFunctions.Health, "GET", "health"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("healthy", body!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task StartWave_ManifestWithErrors_Returns400ProblemDetailsWithEveryError()
    {
        var response = await FunctionsAppFixture.CallAsync(r => Http.StartWave(r, app.Client), "POST", "waves", """{"wave": "bad wave!", "databases": [{"name": "a"}]}""");
        var (status, body) = Read(response);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", Header(response, "Content-Type"));
        Assert.Equal("Invalid manifest", body!["title"]!.GetValue<string>());
        Assert.Contains(body["errors"]!.AsArray(), e => e!["path"]!.GetValue<string>() == "databases[0].source");
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", body["traceId"]!.GetValue<string>());
    }

    [Fact]
    public async Task StartWave_BodyOverTheLimit_Returns413WithNoBody()
    {
        var (status, body) = Read(await FunctionsAppFixture.CallAsync(r => Http.StartWave(r, app.Client), "POST", "waves", new string(' ', 65537)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Null(body);
    }

    [Fact]
    public async Task StartWave_ThenPoll_Answers202WithManagementPayload_ThenRunsTheWaveThroughTheAppsFunctionsTo200()
    {
        using var sources = new WaveWorkspace();
        string manifest = await File.ReadAllTextAsync(sources.WriteManifest("func-start"));

        var response = await FunctionsAppFixture.CallAsync(r => Http.StartWave(r, app.Client), "POST", "waves", manifest);
        var (status, payload) = Read(response);

        string statusUri = FunctionsAppFixture.BaseUrl + "waves/func-start";
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(statusUri, Header(response, "Location"));
        Assert.Equal("10", Header(response, "Retry-After"));
        Assert.Equal(statusUri, payload!["statusQueryGetUri"]!.GetValue<string>());
        Assert.Equal(statusUri + "/raiseEvent/{eventName}", payload["sendEventPostUri"]!.GetValue<string>());
        Assert.Equal(statusUri + "/terminate?reason={text}", payload["terminatePostUri"]!.GetValue<string>());

        var running = Read(await FunctionsAppFixture.CallAsync(r => Http.StartWave(r, app.Client), "POST", "waves", manifest));
        Assert.Equal(HttpStatusCode.Conflict, running.Status);
        Assert.Equal(statusUri, running.Body!["statusQueryGetUri"]!.GetValue<string>());

        var done = await app.PollUntilDoneAsync("func-start");
        Assert.Equal("Completed", done["runtimeStatus"]!.GetValue<string>());
        Assert.Equal("Completed", done["output"]!["outcome"]!.GetValue<string>());
        Assert.Equal(["Completed", "Completed", "Completed"], done["output"]!["databases"]!.AsArray().Select(d => d!["state"]!.GetValue<string>()));
        Assert.Equal(WaveWorkspace.RowsPerTable, await CountRowsAsync(sources.TargetPath("gamma")));
    }

    [Fact]
    public async Task AWaveRunThroughTheFunctions_LeavesItsProgressAndConsumerSwitchesInTheSharedTables()
    {
        using var sources = new WaveWorkspace();
        await FunctionsAppFixture.CallAsync(r => Http.StartWave(r, app.Client), "POST", "waves", await File.ReadAllTextAsync(sources.WriteManifest("func-tables")));
        await app.PollUntilDoneAsync("func-tables");

        // Read as another instance of the app would: new clients over the same tables.
        var service = new Azure.Data.Tables.TableServiceClient(app.StorageConnection);
        await using var progress = new TableMigrationProgressStore(service, new TableMigrationProgressStoreOptions { TableName = app.ProgressTable });
        var registry = new TableConnectionRegistry(service, app.RegistryTable);

        // The app's store writes in the background, at most once a second per database: the last report may lag the wave.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Providers.CopyProgress? copied;
        while ((copied = await progress.GetAsync("func-tables", "alpha", timeout.Token)) is null || copied.RowsCopied < copied.RowsTotal)
        {
            await Task.Delay(100, timeout.Token);
        }

        Assert.True(copied.RowsCopied >= WaveWorkspace.RowsPerTable, $"{copied.RowsCopied} rows");
        var history = await registry.GetHistoryAsync("alpha");
        Assert.Contains(history, h => h.To == $"Data Source={sources.TargetPath("alpha")}" && h.Reason.Contains("func-tables", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ManualApproval_ApprovedOverTheApproveFunction_ThenApproveAnswers410()
    {
        using var sources = new WaveWorkspace();
        await FunctionsAppFixture.CallAsync(r => Http.StartWave(r, app.Client), "POST", "waves", await File.ReadAllTextAsync(sources.WriteManifest("func-approve", approval: "manual")));

        var unknown = Read(await FunctionsAppFixture.CallAsync(r => Http.ApproveWave(r, app.Client, "func-approve", "nope"), "POST", "waves/func-approve/approve/nope"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);

        var approved = new List<string>();
        var done = await app.PollUntilDoneAsync("func-approve", async status =>
        {
            if (status["customStatus"]?["attention"] is JsonArray { Count: > 0 })
            {
                var (code, body) = Read(await FunctionsAppFixture.CallAsync(r => Http.ApproveWave(r, app.Client, "func-approve", null), "POST", "waves/func-approve/approve"));
                Assert.Equal(HttpStatusCode.Accepted, code);
                approved.AddRange(body!["approved"]!.AsArray().Select(a => a!.GetValue<string>()));
            }
        });

        Assert.Equal("Completed", done["output"]!["outcome"]!.GetValue<string>());
        Assert.Equal(["alpha", "beta", "gamma"], approved.Order().ToList());
        Assert.Equal(HttpStatusCode.Gone, Read(await FunctionsAppFixture.CallAsync(r => Http.ApproveWave(r, app.Client, "func-approve", null), "POST", "waves/func-approve/approve")).Status);
    }

    [Fact]
    public async Task FinishedWave_RolledBackOverTheRollbackFunction_ThenPurged()
    {
        using var sources = new WaveWorkspace();
        await FunctionsAppFixture.CallAsync(r => Http.StartWave(r, app.Client), "POST", "waves", await File.ReadAllTextAsync(sources.WriteManifest("func-rollback")));
        await app.PollUntilDoneAsync("func-rollback");

        var conflicting = Read(await FunctionsAppFixture.CallAsync(r => Http.RollbackWave(r, app.Client, "func-rollback"), "POST", "waves/func-rollback/rollback", """{"copyBack": true, "discardTargetWrites": true}"""));
        Assert.Equal(HttpStatusCode.BadRequest, conflicting.Status);

        var response = await FunctionsAppFixture.CallAsync(r => Http.RollbackWave(r, app.Client, "func-rollback"), "POST", "waves/func-rollback/rollback?retry=false");
        var (status, payload) = Read(response);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("func-rollback:rollback", payload!["id"]!.GetValue<string>());
        Assert.Equal(FunctionsAppFixture.BaseUrl + "waves/func-rollback%3Arollback", Header(response, "Location"));
        var rollback = await app.PollUntilDoneAsync("func-rollback:rollback");
        Assert.Equal("RolledBack", rollback["output"]!["outcome"]!.GetValue<string>());

        var (purged, purgedBody) = Read(await FunctionsAppFixture.CallAsync(r => Http.PurgeWave(r, app.Client, "func-rollback"), "DELETE", "waves/func-rollback"));
        Assert.Equal(HttpStatusCode.OK, purged);
        Assert.True(purgedBody!["purgedInstanceCount"]!.GetValue<int>() >= 5);
        Assert.Equal(HttpStatusCode.NotFound, Read(await FunctionsAppFixture.CallAsync(r => Http.GetWave(r, app.Client, "func-rollback"), "GET", "waves/func-rollback")).Status);
    }

    [Fact]
    public async Task RunningWave_SuspendResumeTerminate_AndPurgeOnlyOnceItEnded()
    {
        using var sources = new WaveWorkspace();
        await FunctionsAppFixture.CallAsync(r => Http.StartWave(r, app.Client), "POST", "waves", await File.ReadAllTextAsync(sources.WriteManifest("func-control", approval: "manual")));
        await app.WaitForAsync("func-control", status => status["customStatus"]?["attention"] is JsonArray { Count: > 0 });

        var purgeRunning = Read(await FunctionsAppFixture.CallAsync(r => Http.PurgeWave(r, app.Client, "func-control"), "DELETE", "waves/func-control"));
        Assert.Equal(HttpStatusCode.Conflict, purgeRunning.Status);

        var suspend = Read(await FunctionsAppFixture.CallAsync(r => Http.SuspendWave(r, app.Client, "func-control"), "POST", "waves/func-control/suspend?reason=maintenance"));
        Assert.Equal(HttpStatusCode.Accepted, suspend.Status);
        await app.WaitForAsync("func-control", status => status["runtimeStatus"]!.GetValue<string>() == "Suspended");
        Assert.Equal(HttpStatusCode.Accepted, Read(await FunctionsAppFixture.CallAsync(r => Http.ResumeWave(r, app.Client, "func-control"), "POST", "waves/func-control/resume")).Status);
        await app.WaitForAsync("func-control", status => status["runtimeStatus"]!.GetValue<string>() == "Running");

        var terminate = Read(await FunctionsAppFixture.CallAsync(r => Http.TerminateWave(r, app.Client, "func-control"), "POST", "waves/func-control/terminate?reason=test"));
        Assert.Equal(HttpStatusCode.Accepted, terminate.Status);
        Assert.Equal("Terminated", (await app.PollUntilDoneAsync("func-control"))["runtimeStatus"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Gone, Read(await FunctionsAppFixture.CallAsync(r => Http.TerminateWave(r, app.Client, "func-control"), "POST", "waves/func-control/terminate")).Status);
        Assert.Equal(HttpStatusCode.OK, Read(await FunctionsAppFixture.CallAsync(r => Http.PurgeWave(r, app.Client, "func-control"), "DELETE", "waves/func-control")).Status);
    }

    [Fact]
    public async Task RaiseWaveEvent_UnknownEvent_Returns400_AndRetryOfAnUnknownWave_Returns404()
    {
        var unknownEvent = Read(await FunctionsAppFixture.CallAsync(r => Http.RaiseWaveEvent(r, app.Client, "none", "Whatever"), "POST", "waves/none/raiseEvent/Whatever"));
        var retry = Read(await FunctionsAppFixture.CallAsync(r => Http.RetryDatabase(r, app.Client, "none", "alpha"), "POST", "waves/none/retry/alpha"));

        Assert.Equal(HttpStatusCode.BadRequest, unknownEvent.Status);
        Assert.Equal(HttpStatusCode.NotFound, retry.Status);
        Assert.Equal("No such wave", retry.Body!["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task ListWaves_PagesWithTheContinuationTokenHeader_AndFiltersByStatus()
    {
        using var sources = new WaveWorkspace();
        foreach (string wave in new[] { "func-list-1", "func-list-2", "func-list-3" })
        {
            string manifest = await File.ReadAllTextAsync(sources.WriteManifest(wave, targetConnection: db => $"Data Source={Path.Combine(sources.TargetDirectory, $"{wave}-{db}.db")}"));
            Assert.Equal(HttpStatusCode.Accepted, Read(await FunctionsAppFixture.CallAsync(r => Http.StartWave(r, app.Client), "POST", "waves", manifest)).Status);
        }

        var all = Read(await FunctionsAppFixture.CallAsync(r => Http.ListWaves(r, app.Client), "GET", "waves?top=1000")).Body!.AsArray()
            .Select(w => w!["instanceId"]!.GetValue<string>()).ToList();
        var paged = new List<string>();
        string? token = null;
        do
        {
            var headers = token is null ? [] : new[] { KeyValuePair.Create("x-ms-continuation-token", token) };
            var response = await FunctionsAppFixture.CallAsync(r => Http.ListWaves(r, app.Client), "GET", "waves?top=1", headers: headers);
            var page = Read(response).Body!.AsArray();
            Assert.True(page.Count <= 1);
            paged.AddRange(page.Select(w => w!["instanceId"]!.GetValue<string>()));
            token = Header(response, "x-ms-continuation-token");
        }
        while (token is not null);

        Assert.Contains("func-list-2", all);
        Assert.DoesNotContain(all, id => id.Contains(':', StringComparison.Ordinal));
        Assert.Superset(new HashSet<string> { "func-list-1", "func-list-2", "func-list-3" }, paged.ToHashSet());
        Assert.Equal(paged.Count, paged.Distinct().Count());
        Assert.Equal(HttpStatusCode.BadRequest, Read(await FunctionsAppFixture.CallAsync(r => Http.ListWaves(r, app.Client), "GET", "waves?runtimeStatus=Sleeping")).Status);
    }

    private static async Task<long> CountRowsAsync(string path)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM items";
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
