using System.Diagnostics;
using System.Globalization;
using DurableMigration.Engine;
using DurableMigration.Engine.DependencyInjection;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Bench;

/// <summary>Throughput of the embedded runtime in one process, against Durable Functions' published per-instance targets and the raw SQLite ceiling.</summary>
/// <remarks>
/// Durable Functions targets (Azure Storage provider, Microsoft Learn "Performance and scale"): 5 sequential
/// activities/s, 100 fan-out activities/s, 150 fan-in responses/s, 50 external events/s. The SQLite ceiling is
/// single-row write transactions per second on a file with the task hub's own journal settings (WAL,
/// synchronous=NORMAL, wal_autocheckpoint=8000), measured in the same run on the same disk.
/// </remarks>
internal static class EngineBenchmark
{
    private static readonly Dictionary<string, double> DurableFunctionsTargets = new()
    {
        ["sequential"] = 5,
        ["fanout"] = 100,
        ["fanin"] = 150,
        ["events"] = 50,
    };

    public static async Task RunAsync(bool quick)
    {
        int sequentialCount = quick ? 300 : 2000;
        int fanOutCount = quick ? 1000 : 5000;
        int eventCount = quick ? 300 : 2000;
        int repeats = quick ? 1 : 3;
        string root = Path.Combine(Path.GetTempPath(), "dmig-bench", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            Console.WriteLine($"engine benchmark ({(quick ? "quick" : "full")}): {Environment.ProcessorCount} cores, {RuntimeDescription()}");
            Console.WriteLine($"work: {sequentialCount} sequential activities, fan-out/fan-in of {fanOutCount}, {eventCount} external events; median of {repeats}");

            double sqlite = Median(await RepeatAsync(repeats, i => Task.FromResult(MeasureSqliteCeiling(Path.Combine(root, $"raw-{i}.db"), TimeSpan.FromSeconds(quick ? 1 : 3)))));
            Console.WriteLine($"  sqlite ceiling: {sqlite:F0} single-row durable transactions/s");

            await MeasureSequentialAsync(Path.Combine(root, "warmup.db"), 50); // JIT and file-system warm-up, not reported

            var results = new List<(string Metric, double Value, string Unit)>();
            double sequential = Median(await RepeatAsync(repeats, i => MeasureSequentialAsync(Path.Combine(root, $"seq-{i}.db"), sequentialCount)));
            results.Add(("sequential", sequential, "activities/s"));
            var fan = await RepeatAsync(repeats, i => MeasureFanOutFanInAsync(Path.Combine(root, $"fan-{i}.db"), fanOutCount));
            results.Add(("fanout", Median(fan.Select(f => f.FanOut).ToList()), "activities/s"));
            results.Add(("fanin", Median(fan.Select(f => f.FanIn).ToList()), "responses/s"));
            results.Add(("events", Median(await RepeatAsync(repeats, i => MeasureEventsAsync(Path.Combine(root, $"events-{i}.db"), eventCount))), "events/s"));

            foreach (var (metric, value, unit) in results)
            {
                Console.WriteLine($"  {metric,-10} {value,10:F0} {unit,-13} = {value / DurableFunctionsTargets[metric],7:F1}x Durable Functions target ({DurableFunctionsTargets[metric]}/s), {value / sqlite:F3}x SQLite ceiling");
            }

            foreach (var (metric, value, unit) in results)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"RESULT {metric} {value:F1} {unit} vs_df={value / DurableFunctionsTargets[metric]:F2} vs_sqlite={value / sqlite:F4}"));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<double> MeasureSequentialAsync(string taskHub, int count)
    {
        await using var host = await BenchHost.StartAsync(taskHub, r => r
            .AddActivityFunc<int, int>("Noop", (_, n) => Task.FromResult(n))
            .AddOrchestratorFunc<int, int>("Sequence", async (ctx, n) =>
            {
                int sum = 0;
                for (int i = 0; i < n; i++)
                {
                    sum += await ctx.CallActivityAsync<int>("Noop", 1);
                }

                return sum;
            }));
        var stopwatch = Stopwatch.StartNew();
        await host.RunAsync("Sequence", count);
        return count / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task<(double FanOut, double FanIn)> MeasureFanOutFanInAsync(string taskHub, int count)
    {
        long firstDone = long.MaxValue, lastDone = 0;
        await using var host = await BenchHost.StartAsync(taskHub, r => r
            .AddActivityFunc<int, int>("Noop", (_, n) =>
            {
                long now = Stopwatch.GetTimestamp();
                InterlockedMin(ref firstDone, now);
                InterlockedMax(ref lastDone, now);
                return Task.FromResult(n);
            })
            .AddOrchestratorFunc<int, int>("FanOut", async (ctx, n) =>
            {
                int[] all = await Task.WhenAll(Enumerable.Range(0, n).Select(i => ctx.CallActivityAsync<int>("Noop", 1)));
                return all.Sum();
            }));
        long start = Stopwatch.GetTimestamp();
        await host.RunAsync("FanOut", count);
        long end = Stopwatch.GetTimestamp();
        // Fan-out: activities executed per second from the start to the last one. Fan-in: responses the orchestrator
        // absorbed per second, from the first activity result to the orchestration's completion.
        double fanOut = count / Stopwatch.GetElapsedTime(start, lastDone).TotalSeconds;
        double fanIn = count / Stopwatch.GetElapsedTime(firstDone, end).TotalSeconds;
        return (fanOut, fanIn);
    }

    private static async Task<double> MeasureEventsAsync(string taskHub, int count)
    {
        await using var host = await BenchHost.StartAsync(taskHub, r => r
            .AddOrchestratorFunc<int, int>("Listener", async (ctx, n) =>
            {
                int sum = 0;
                for (int i = 0; i < n; i++)
                {
                    sum += await ctx.WaitForExternalEvent<int>("Tick");
                }

                return sum;
            }));
        string id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Listener", count);
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            await host.Client.RaiseEventAsync(id, "Tick", 1);
        }

        await host.WaitAsync(id);
        return count / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Single-row INSERT transactions per second with the task hub's journal settings: the most a durable store here can commit.</summary>
    private static double MeasureSqliteCeiling(string path, TimeSpan duration)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 8000; CREATE TABLE Rows (Id INTEGER PRIMARY KEY, Payload TEXT NOT NULL);";
            setup.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO Rows (Payload) VALUES ($p)";
        insert.Parameters.AddWithValue("$p", "{\"eventType\":\"TaskCompleted\",\"taskScheduledId\":1,\"result\":\"1\"}");
        int transactions = 0;
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < duration)
        {
            using var tx = connection.BeginTransaction(deferred: false);
            insert.Transaction = tx;
            insert.ExecuteNonQuery();
            tx.Commit();
            transactions++;
        }

        return transactions / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task<List<T>> RepeatAsync<T>(int times, Func<int, Task<T>> measure)
    {
        var values = new List<T>(times);
        for (int i = 0; i < times; i++)
        {
            values.Add(await measure(i));
        }

        return values;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static void InterlockedMin(ref long target, long value)
    {
        long current;
        while (value < (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static string RuntimeDescription() => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;
}

/// <summary>One engine on one task hub file, for one measurement.</summary>
internal sealed class BenchHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private BenchHost(ServiceProvider services)
    {
        _services = services;
        Engine = services.GetRequiredService<DurableEngine>();
        Client = services.GetRequiredService<DurableTaskClient>();
    }

    public DurableEngine Engine { get; }

    public DurableTaskClient Client { get; }

    public static async Task<BenchHost> StartAsync(string taskHub, Action<DurableTaskRegistry> register)
    {
        var services = new ServiceCollection()
            .AddDurableEngine(o => o.TaskHubPath = taskHub, register)
            .BuildServiceProvider();
        var host = new BenchHost(services);
        await host.Engine.StartAsync(CancellationToken.None);
        return host;
    }

    public async Task RunAsync(string orchestrator, object input) =>
        await WaitAsync(await Client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input));

    public async Task WaitAsync(string instanceId)
    {
        var result = await Client.WaitForInstanceCompletionAsync(instanceId);
        if (result.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
        {
            throw new InvalidOperationException($"Benchmark orchestration {instanceId} ended {result.RuntimeStatus}: {result.FailureDetails}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
    }
}
