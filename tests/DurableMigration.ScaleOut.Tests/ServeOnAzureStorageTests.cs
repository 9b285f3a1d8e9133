using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using DurableMigration.Host.Tests;

namespace DurableMigration.ScaleOut.Tests;

/// <summary><c>dmig serve --backend azure-storage</c>: the same HTTP API over a task hub that <c>dmig worker</c> processes run.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ServeOnAzureStorageTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task WaveStartedOverHttp_IsRunByAWorker_AndItsStatusAnswers200WhenDone()
    {
        await using var workspace = new ScaleOutWorkspace(azurite.ConnectionString, "serve" + Guid.NewGuid().ToString("N")[..8]);
        await workspace.StartWorkerAsync("w1");
        using var serve = ScaleOutWorkspace.Start(["serve", "--urls", "http://127.0.0.1:0", .. workspace.Backend]);
        string key = (await serve.WaitForStdoutAsync(@"replaces it\):\s*(\S+)")).Groups[1].Value;
        var baseUri = new Uri((await serve.WaitForStdoutAsync(@"Listening on (http://127\.0\.0\.1:\d+)")).Groups[1].Value + "/");
        using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("x-functions-key", key);

        using var body = new StringContent(await File.ReadAllTextAsync(workspace.WriteManifest("served")), Encoding.UTF8);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var started = await http.PostAsync("api/waves", body);
        JsonNode? status = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            var response = await http.GetAsync("api/waves/served", timeout.Token);
            status = JsonNode.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                break;
            }

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            await Task.Delay(250, timeout.Token);
        }

        await serve.Cancellation.CancelAsync();
        Assert.Equal(0, await serve.Exit);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal("Completed", (string?)status!["output"]!["outcome"]);
        foreach (string database in ScaleOutWorkspace.Databases)
        {
            Assert.Equal(await ScaleOutWorkspace.FingerprintAsync(workspace.SourcePath(database)), await ScaleOutWorkspace.FingerprintAsync(workspace.TargetPath(database)));
        }
    }
}

/// <summary>What <c>dmig</c> says of a wave on a remote task hub: its workers run it, not a local process.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class RemoteStatusTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Status_OfAnUnfinishedWaveOnTheHub_NamesTheHubsWorkersAsItsRunner()
    {
        await using var workspace = new ScaleOutWorkspace(azurite.ConnectionString, "status" + Guid.NewGuid().ToString("N")[..8]);
        Assert.Equal(0, (await workspace.DmigAsync("run", workspace.WriteManifest("queued"), "--no-wait", "-o", "json")).ExitCode);

        var (exit, json, _) = await workspace.DmigAsync("status", "queued", "-o", "json");
        var (_, table, _) = await workspace.DmigAsync("status", "queued");

        Assert.Equal(0, exit);
        Assert.Equal(workspace.Hub, (string?)JsonNode.Parse(json)!["runner"]!["taskHub"]);
        Assert.Contains($"Run by the workers of task hub {workspace.Hub}", table, StringComparison.Ordinal);
        Assert.DoesNotContain("No process is running", table, StringComparison.Ordinal);
    }
}
