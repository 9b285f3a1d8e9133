using System.Net;
using DurableMigration.Host.Commands;

namespace DurableMigration.Host.Tests;

/// <summary><c>dmig serve</c>'s key: created once owner-only, shown once, rotated by <c>dmig keys rotate</c> without a restart.</summary>
public sealed class ServeKeyTests
{
    [Fact]
    public async Task KeysRotate_WhileServing_OldKeyGets401AndTheNewOneWorks()
    {
        using var server = new ServeFixture();
        await server.InitializeAsync();
        try
        {
            string old = server.Key;
            string file = Path.Combine(server.Workspace.DataDirectory, "api-key");
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            var shown = await server.Workspace.DmigSplitAsync("keys", "show");
            Assert.Equal(old, shown.Stdout.Trim());

            var rotated = await server.Workspace.DmigSplitAsync("keys", "rotate", "-o", "json");
            Assert.Equal(0, rotated.ExitCode);
            string fresh = System.Text.Json.Nodes.JsonNode.Parse(rotated.Stdout)!["key"]!.GetValue<string>();
            Assert.NotEqual(old, fresh);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            Assert.Equal(HttpStatusCode.Unauthorized, (await server.SendAsync(HttpMethod.Get, "api/waves", key: old)).Response.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, "api/waves", key: fresh)).Response.StatusCode);
            await server.SendAsync(HttpMethod.Get, $"api/waves?code={fresh}", key: string.Empty);
            string logs = await ReadLogsAsync(server.Workspace.DataDirectory);
            Assert.Contains("HTTP GET /api/waves/ wave -: 401", logs, StringComparison.Ordinal);
            Assert.Contains("HTTP GET /api/waves/ wave -: 200", logs, StringComparison.Ordinal);
            Assert.DoesNotContain(fresh, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(old, logs, StringComparison.Ordinal);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Serve_SecondStart_DoesNotPrintTheKeyAgain_AndCtrlCStopsCleanly()
    {
        using var workspace = new WaveWorkspace();
        using (var first = workspace.Start(null, "serve", "--urls", "http://127.0.0.1:0"))
        {
            await first.WaitForStdoutAsync("Listening on");
            await first.Cancellation.CancelAsync();
            Assert.Equal(0, (await first.ResultAsync()).ExitCode);
        }

        string key = (await workspace.DmigSplitAsync("keys", "show")).Stdout.Trim();
        using var second = workspace.Start(null, "serve", "--urls", "http://127.0.0.1:0");
        await second.WaitForStdoutAsync("Listening on");
        await second.Cancellation.CancelAsync();
        var run = await second.ResultAsync();

        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain(key, run.Stdout + run.Stderr, StringComparison.Ordinal);
        Assert.Contains("dmig keys show", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithOutputJson_PrintsOneJsonDocumentOnStdout_AndNothingElse()
    {
        using var workspace = new WaveWorkspace();
        using var serve = workspace.Start(null, "serve", "--urls", "http://127.0.0.1:0", "-o", "json");
        await serve.WaitForStdoutAsync(@"\}\s*$");
        await serve.Cancellation.CancelAsync();
        var run = await serve.ResultAsync();

        Assert.True(run.ExitCode == DmigCommandLine.Success, run.ToString());
        using var document = System.Text.Json.JsonDocument.Parse(run.Stdout);
        Assert.StartsWith("http://127.0.0.1:", document.RootElement.GetProperty("urls")[0].GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(document.RootElement.GetProperty("key").GetString())); // the first start creates the key
        Assert.Equal(System.Text.Json.JsonValueKind.Null, document.RootElement.GetProperty("queue").ValueKind);
    }

    [Fact]
    public async Task KeysShow_WithoutAKey_SaysHowToGetOne()
    {
        using var workspace = new WaveWorkspace();

        var run = await workspace.DmigSplitAsync("keys", "show");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("dmig serve", run.Stderr, StringComparison.Ordinal);
    }

    private static async Task<string> ReadLogsAsync(string dataDirectory)
    {
        string logs = Path.Combine(dataDirectory, "logs");
        var text = new System.Text.StringBuilder();
        foreach (string file in Directory.Exists(logs) ? Directory.GetFiles(logs) : [])
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            text.Append(await reader.ReadToEndAsync());
        }

        return text.ToString();
    }
}
