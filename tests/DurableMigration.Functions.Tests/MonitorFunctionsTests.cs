using System.Net;
using System.Text;
using DurableMigration.Functions.Http;
using DurableMigration.Host.Tests;
using static DurableMigration.Functions.Tests.FunctionSeams;

namespace DurableMigration.Functions.Tests;

/// <summary>The wave monitor in the Functions app: the same page as <c>dmig serve</c>'s, and the reads it makes.</summary>
public sealed class MonitorFunctionsTests(FunctionsAppFixture app) : IClassFixture<FunctionsAppFixture>
{
    [Fact]
    public async Task Monitor_ServesThePageUnderTheContentSecurityPolicy_ItsAssets_AndNothingElse()
    {
        var page = await FunctionsAppFixture.CallAsync(r => MonitorFunctions.Monitor(r, null), "GET", "monitor");
        var script = await FunctionsAppFixture.CallAsync(r => MonitorFunctions.Monitor(r, "monitor.js"), "GET", "monitor/monitor.js");
        var other = await FunctionsAppFixture.CallAsync(r => MonitorFunctions.Monitor(r, "secrets.json"), "GET", "monitor/secrets.json");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.StartsWith("default-src 'none'", Header(page, "Content-Security-Policy"), StringComparison.Ordinal);
        Assert.Contains("<meta name=\"dmig-api\" content=\"/api\">", Body(page), StringComparison.Ordinal);
        Assert.Equal("text/javascript; charset=utf-8", Header(script, "Content-Type"));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task Monitor_WithTheETagItWasGiven_Answers304()
    {
        string etag = Header(await FunctionsAppFixture.CallAsync(r => MonitorFunctions.Monitor(r, null), "GET", "monitor"), "ETag")!;

        var again = await FunctionsAppFixture.CallAsync(r => MonitorFunctions.Monitor(r, null), "GET", "monitor", headers: [new("If-None-Match", etag)]);

        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    [Fact]
    public async Task ListWaveDatabases_AndWaveTimeline_ReadAWaveRunThroughTheAppsFunctions()
    {
        using var sources = new WaveWorkspace();
        await FunctionsAppFixture.CallAsync(r => app.Http.StartWave(r, app.Client), "POST", "waves", await File.ReadAllTextAsync(sources.WriteManifest("func-monitor")));
        await app.PollUntilDoneAsync("func-monitor");

        var (status, databases) = Read(await FunctionsAppFixture.CallAsync(r => app.Http.ListWaveDatabases(r, app.Client, "func-monitor"), "GET", "waves/func-monitor/databases"));
        var (timelineStatus, _) = Read(await FunctionsAppFixture.CallAsync(r => app.Http.WaveTimeline(r, app.Client, "func-monitor"), "GET", "waves/func-monitor/timeline"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("gamma", databases!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, timelineStatus);
    }

    private static string Body(Microsoft.Azure.Functions.Worker.Http.HttpResponseData response)
    {
        response.Body.Position = 0;
        return Encoding.UTF8.GetString(((MemoryStream)response.Body).ToArray());
    }
}
