using System.Text;
using DurableMigration.Application.Http;
using DurableMigration.Manifest;
using DurableMigration.Migration;

namespace DurableMigration.Application.Tests;

/// <summary><see cref="WaveDatabaseReader"/> and its routes (<c>/databases</c>, <c>/timeline</c>) on the embedded runtime with real SQLite databases.</summary>
public sealed class WaveDatabaseReaderTests : EmbeddedHostTest
{
    private const string WavesUri = "http://example.test/api/waves";

    private WaveOperations Operations => new(Host.Client);

    private WaveDatabaseReader Reader => new(Host.Client);

    private WaveHttpApi Api => new(Operations, new WaveHttpApiOptions());

    [Fact]
    public async Task ListAsync_PagesOfOne_ListEveryDatabaseOnceWithItsResult_AndNotTheRollback()
    {
        await Operations.StartAsync(Manifest("d1"), "d1.json");
        await Host.StartEngineAsync();
        await Host.Client.WaitForInstanceCompletionAsync("d1");
        await Operations.RollbackAsync("d1", TargetWrites.Refuse, retry: false, "test");
        await Host.Client.WaitForInstanceCompletionAsync("d1:rollback");

        var seen = new List<DatabaseEntry>();
        string? token = null;
        int pages = 0;
        do
        {
            var page = await Reader.ListAsync("d1", pageSize: 1, continuationToken: token);
            Assert.NotNull(page);
            Assert.True(page.Databases.Count <= 1);
            seen.AddRange(page.Databases);
            token = page.ContinuationToken;
            Assert.True(++pages < 10);
        }
        while (token is not null);

        Assert.Equal(["alpha", "beta", "gamma"], seen.Select(d => d.Database).Order());
        Assert.All(seen, d => Assert.Equal(DatabaseState.Completed, d.Result!.State));
        Assert.All(seen, d => Assert.Null(d.Live));
        Assert.Null(await Reader.ListAsync("nope"));

        // The rollback's compensations, run in its own orchestration, end each database's timeline.
        var timelines = await Reader.TimelinesAsync("d1");
        Assert.All(timelines!.Databases, d => Assert.Equal("compensate", d.Spans[^1].Step));
        Assert.All(timelines.Databases, d => Assert.Equal("validate", d.Spans[0].Step));
    }

    [Fact]
    public async Task ListAsync_ManualWave_ShowsLiveStatusAwaitingApproval_AndTheTimelineHasTheApprovalWait()
    {
        await Operations.StartAsync(Manifest("d2", approval: "manual"), "d2.json");
        await Host.StartEngineAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        bool sawAwaiting = false;
        while (!(await Host.Client.GetInstanceAsync("d2", cancellation: timeout.Token))!.IsCompleted)
        {
            var page = await Reader.ListAsync("d2", cancellationToken: timeout.Token);
            sawAwaiting |= page!.Databases.Any(d => d.Live?.State == DatabaseState.AwaitingApproval);
            await Operations.ApproveAsync("d2", null, "test", timeout.Token);
            await Task.Delay(50, timeout.Token);
        }

        Assert.True(sawAwaiting);
        var timelines = await Reader.TimelinesAsync("d2");
        Assert.Equal(3, timelines!.Databases.Count);
        var alpha = timelines.Databases.Single(d => d.Database == "alpha");
        string[] steps = [.. alpha.Spans.Select(s => s.Step)];
        // Its assessment ran in the wave's orchestration; the rest in its own.
        Assert.Equal(["validate", "migrate", "approval", "cutover", "postValidate", "remediate"], steps.Where(s => s is not ("monitor" or "wait")));
        Assert.All(alpha.Spans, s => Assert.True(s.End >= s.Start && s.Outcome == "completed", $"{s}"));
        var gamma = timelines.Databases.Single(d => d.Database == "gamma");
        Assert.True(gamma.Spans.First(s => s.Step == "migrate").Start >= alpha.Spans.Where(s => s.Step == "remediate").Max(s => s.End));
    }

    [Fact]
    public async Task Routes_PageWithTheContinuationHeader_AndRefuseBadTopAndUnknownWavesAndDatabases()
    {
        await Operations.StartAsync(Manifest("d3"), "d3.json");
        await Host.StartEngineAsync();
        await Host.Client.WaitForInstanceCompletionAsync("d3");

        var first = await Api.DatabasesAsync(Request("top=2"), "d3");
        Assert.Equal(200, first.StatusCode);
        Assert.Equal(2, first.Body!["databases"]!.AsArray().Count);
        var second = await Api.DatabasesAsync(Request("top=2") with { ContinuationToken = first.Headers[ApiResponse.ContinuationHeader] }, "d3");
        var last = Assert.Single(second.Body!["databases"]!.AsArray());
        Assert.Equal("d3:" + last!["database"]!.GetValue<string>(), last["instanceId"]!.GetValue<string>());
        Assert.Equal("Completed", last["output"]!["state"]!.GetValue<string>());
        Assert.Null(last["input"]);

        Assert.Equal(400, (await Api.DatabasesAsync(Request("top=0"), "d3")).StatusCode);
        Assert.Equal(404, (await Api.DatabasesAsync(Request(), "nope")).StatusCode);
        var timeline = await Api.TimelineAsync(Request(), "d3", "beta");
        Assert.Equal("beta", Assert.Single(timeline.Body!["databases"]!.AsArray())!["database"]!.GetValue<string>());
        var unknown = await Api.TimelineAsync(Request(), "d3", "zeta");
        Assert.Equal(404, unknown.StatusCode);
        Assert.Equal("No such database", unknown.Body!["title"]!.GetValue<string>());
        Assert.Equal("No such wave", (await Api.TimelineAsync(Request(), "nope", null)).Body!["title"]!.GetValue<string>());
        Assert.Equal(3, (await Api.TimelineAsync(Request(), "d3", null)).Body!["databases"]!.AsArray().Count);
    }

    [Fact]
    public async Task MonitorRefresh_CostsTheSameReadsWhateverTheWaveSize_NotOneReadPerDatabase()
    {
        await Operations.StartAsync(Manifest("d4"), "d4.json");
        await Host.StartEngineAsync();
        await Host.Client.WaitForInstanceCompletionAsync("d4");
        var counting = new CountingClient(Host.Client);
        var api = new WaveHttpApi(new WaveOperations(counting), new WaveHttpApiOptions());

        var status = await api.GetAsync(Request(), "d4");
        Assert.Equal(200, status.StatusCode);
        // The wave, and its rollback (none): never its three databases.
        Assert.Equal((2, 0, 0), (counting.InstanceReads, counting.QueryPages, counting.HistoryReads));

        counting.Reset();
        var databases = await api.DatabasesAsync(Request(), "d4");
        Assert.Equal(3, databases.Body!["databases"]!.AsArray().Count);
        Assert.Equal((1, 1, 0), (counting.InstanceReads, counting.QueryPages, counting.HistoryReads));

        counting.Reset();
        var view = await WaveView.LoadAsync(counting, "d4", CancellationToken.None);
        Assert.Equal(3, view!.Databases.Count);
        // dmig's live table: the wave, one query for its databases, and the rollback (none).
        Assert.Equal((2, 1), (counting.InstanceReads, counting.QueryPages));
    }

    private static ApiRequest Request(string query = "") => new()
    {
        WavesUri = WavesUri,
        Query = ApiRequest.QueryOf(query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], (string?)p[1]))),
        Body = new MemoryStream(Encoding.UTF8.GetBytes(string.Empty)),
    };

    private WaveManifest Manifest(string wave, string approval = "auto") =>
        WaveManifestReader.Parse(File.ReadAllText(Workspace.WriteManifest(
            wave,
            approval: approval,
            targetConnection: db => $"Data Source={Path.Combine(Workspace.TargetDirectory, $"{wave}-{db}.db")}")), wave + ".json");
}
