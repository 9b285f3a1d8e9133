using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace DurableMigration.Host.Tests;

/// <summary>Alerts posted to a real HTTP endpoint on loopback.</summary>
public sealed class AlertTests
{
    [Fact]
    public async Task FailedStep_PostsAnErrorAlertToTheWaveWebhook()
    {
        using var workspace = new WaveWorkspace();
        int port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/alerts/");
        listener.Start();
        var received = new ConcurrentQueue<JsonElement>();
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                HttpListenerContext request;
                try
                {
                    request = await listener.GetContextAsync().WaitAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                using (var reader = new StreamReader(request.Request.InputStream))
                {
                    received.Enqueue(JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement.Clone());
                }

                request.Response.StatusCode = 204;
                request.Response.Close();
            }
        });

        var (exit, _) = await workspace.DmigAsync("run", workspace.WriteManifest("alerting", webhook: $"http://127.0.0.1:{port}/alerts/"), "--drill", "beta:cutover");
        await stop.CancelAsync();
        await serving;

        Assert.Equal(1, exit);
        var error = Assert.Single(received, a => a.GetProperty("kind").GetString() == "error");
        Assert.Equal("alerting", error.GetProperty("waveId").GetString());
        Assert.Equal("beta", error.GetProperty("database").GetString());
        Assert.Contains("Cutover", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
