using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Bench;

/// <summary>
/// Microsoft's in-process runtime (<c>DurableTaskTestHost</c> from <c>Microsoft.DurableTask.InProcessTestHost</c>: the
/// SDK's gRPC worker and client over the Durable Task Framework with an in-memory orchestration service), running the
/// same sequential and fan-out orchestrations as the engine benchmark. One host serves every round.
/// </summary>
internal sealed class InProcessBaseline : IAsyncDisposable
{
    // The in-memory service and the worker log through this factory: warnings and errors only.
    private static readonly ILoggerFactory QuietLoggerFactory =
        LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Warning));

    private readonly DurableTaskTestHost _host;
    private readonly ActivityClock _clock;

    private InProcessBaseline(DurableTaskTestHost host, ActivityClock clock)
    {
        _host = host;
        _clock = clock;
    }

    private DurableTaskClient Client => _host.Client;

    public static async Task<InProcessBaseline> StartAsync()
    {
        // The gRPC sidecar is a Host.CreateDefaultBuilder() web host that logs every gRPC call at Information on the
        // console and ignores the options' logger factory; its configuration reads environment variables, so raise
        // its level there (unless a developer set one) before it starts, and skip the appsettings.json file watcher.
        SetIfUnset("Logging__LogLevel__Default", "Warning");
        SetIfUnset("DOTNET_hostBuilder__reloadConfigOnChange", "false");

        var clock = new ActivityClock();
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var host = await DurableTaskTestHost.StartAsync(
                    r => r
                        .AddActivityFunc<int, int>("Noop", (_, n) =>
                        {
                            clock.Record();
                            return Task.FromResult(n);
                        })
                        .AddOrchestratorFunc<int, int>("Sequence", EngineBenchmark.SequenceAsync)
                        .AddOrchestratorFunc<int, int>("FanOut", EngineBenchmark.FanOutAsync),
                    new DurableTaskTestHostOptions { Port = FreeTcpPort(), LoggerFactory = QuietLoggerFactory });
                return new InProcessBaseline(host, clock);
            }
            catch (IOException) when (attempt < 3)
            {
                // Address already in use (another process took the port between probe and bind): try another.
            }
        }
    }

    /// <summary>Activities per second of <paramref name="runs"/> orchestrations, one after another, each calling a no-op activity <paramref name="count"/> times in a row.</summary>
    /// <remarks>Several short orchestrations rather than one long one: this runtime replays the whole history on every turn, so its rate falls as the history grows.</remarks>
    public async Task<double> MeasureSequentialAsync(int count, int runs = 1)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < runs; i++)
        {
            await RunAsync("Sequence", count);
        }

        return runs * count / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Activities per second from scheduling <paramref name="count"/> no-op activities at once until the last one ran.</summary>
    public async Task<double> MeasureFanOutAsync(int count)
    {
        _clock.Reset();
        long start = Stopwatch.GetTimestamp();
        await RunAsync("FanOut", count);
        return count / Stopwatch.GetElapsedTime(start, _clock.LastDone).TotalSeconds;
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private async Task RunAsync(string orchestrator, int input)
    {
        string id = await Client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input);
        var result = await Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true);
        if (result.RuntimeStatus != OrchestrationRuntimeStatus.Completed || result.ReadOutputAs<int>() != input)
        {
            throw new InvalidOperationException($"In-process baseline {orchestrator} {id} ended {result.RuntimeStatus} with output {result.SerializedOutput}: {result.FailureDetails}");
        }
    }

    private static void SetIfUnset(string variable, string value)
    {
        if (Environment.GetEnvironmentVariable(variable) is null)
        {
            Environment.SetEnvironmentVariable(variable, value);
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
