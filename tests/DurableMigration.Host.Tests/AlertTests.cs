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
        await using var webhook = AlertReceiver.Start();

        var (exit, _) = await workspace.DmigAsync("run", workspace.WriteManifest("alerting", webhook: webhook.Url), "--drill", "beta:cutover");

        Assert.Equal(1, exit);
        var error = Assert.Single(webhook.Received, a => a.GetProperty("kind").GetString() == "error");
        Assert.Equal("alerting", error.GetProperty("waveId").GetString());
        Assert.Equal("beta", error.GetProperty("database").GetString());
        Assert.Contains("failed at cutover", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DatabaseWaitingLongerThanTheThreshold_PostsADurationAlertWhileItWaits()
    {
        using var workspace = new WaveWorkspace();
        await using var webhook = AlertReceiver.Start();
        var clock = new ShiftedTimeProvider();
        void Configure(Microsoft.Extensions.DependencyInjection.IServiceCollection services) =>
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<TimeProvider>(services, clock);
        var run = workspace.DmigAsync(Configure, "run", workspace.WriteManifest("slow", approval: "manual", webhook: webhook.Url, maxDurationMinutes: 1));
        await WaveOperatorTests.WaitForStateAsync(workspace, "slow", "alpha", Migration.DatabaseState.AwaitingApproval);

        clock.Shift(TimeSpan.FromMinutes(5)); // the approval takes "five minutes": the alert must come while it waits
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            while (!webhook.Received.Any(a => a.GetProperty("kind").GetString() == "duration"))
            {
                await Task.Delay(50, timeout.Token);
            }
        }

        await WaveOperatorTests.WaitForStateAsync(workspace, "slow", "beta", Migration.DatabaseState.AwaitingApproval); // "approve <wave>" approves only those waiting now
        await workspace.DmigAsync("approve", "slow");
        await WaveOperatorTests.WaitForStateAsync(workspace, "slow", "gamma", Migration.DatabaseState.AwaitingApproval);
        await workspace.DmigAsync("approve", "slow");
        var (exit, output) = await run;

        Assert.True(exit == 0, output);
        var duration = webhook.Received.Where(a => a.GetProperty("kind").GetString() == "duration").Select(a => a.GetProperty("database").GetString()).ToList();
        Assert.Contains("alpha", duration);
        Assert.Equal(duration.Count, duration.Distinct().Count()); // once per database
    }

    /// <summary>The system clock plus an offset a test can move forward.</summary>
    private sealed class ShiftedTimeProvider : TimeProvider
    {
        private long _offsetTicks;

        public void Shift(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));
    }

    /// <summary>A real HTTP endpoint on loopback that records every alert posted to it.</summary>
    private sealed class AlertReceiver : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly CancellationTokenSource _stop = new();
        private Task _serving = Task.CompletedTask;

        public string Url { get; private set; } = string.Empty;

        public ConcurrentQueue<JsonElement> Received { get; } = new();

        public static AlertReceiver Start()
        {
            var receiver = new AlertReceiver();
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                receiver.Url = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/alerts/";
            }

            receiver._listener.Prefixes.Add(receiver.Url);
            receiver._listener.Start();
            receiver._serving = Task.Run(receiver.ServeAsync);
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _serving;
            _listener.Close();
            _stop.Dispose();
        }

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext request;
                try
                {
                    request = await _listener.GetContextAsync().WaitAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                using (var reader = new StreamReader(request.Request.InputStream))
                {
                    Received.Enqueue(JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement.Clone());
                }

                request.Response.StatusCode = 204;
                request.Response.Close();
            }
        }
    }
}
