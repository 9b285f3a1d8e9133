using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using DurableMigration.Engine;
using DurableMigration.Engine.DependencyInjection;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Bench;

/// <summary>Throughput of the embedded runtime in one process, against Durable Functions' published per-instance targets, the raw SQLite ceiling and Microsoft's in-process runtime.</summary>
/// <remarks>
/// Durable Functions targets (Azure Storage provider, Microsoft Learn "Performance and scale"): 5 sequential
/// activities/s, 100 fan-out activities/s, 150 fan-in responses/s, 50 external events/s. The SQLite ceiling is
/// single-row write transactions per second on a file with the task hub's own journal settings (WAL,
/// synchronous=NORMAL, wal_autocheckpoint=8000), measured in the same run on the same disk. Microsoft's in-process
/// runtime (<see cref="InProcessBaseline"/>) runs the same sequential and fan-out orchestrations in the same run.
/// <para>
/// A run first warms up (every measurement at a quarter of its size, repeated until the JIT has settled; not
/// reported), then goes through several rounds, each measuring everything once, one after another; each figure is the
/// median over the rounds. Interleaving puts every figure and its baselines in the same stretch of time, so load from
/// other processes shifts them together. Quick and full runs give each measurement the same work (so they measure
/// the same thing); quick runs fewer rounds.
/// </para>
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

    // A settled pass still compiles a couple of hundred methods (each engine and DI container it starts is new); one
    // still being promoted compiles thousands.
    private const int SettledJitMethodsPerPass = 500;
    private const int MaxWarmupPasses = 8;

    public static async Task RunAsync(bool quick)
    {
        var plan = quick ? Plan.Quick : Plan.Full;
        string root = Path.Combine(Path.GetTempPath(), "dmig-bench", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            Console.WriteLine($"engine benchmark ({(quick ? "quick" : "full")}): {Environment.ProcessorCount} cores, {RuntimeDescription()}");
            Console.WriteLine($"work per round: {plan.Sequential} sequential activities, {plan.SequentialFull} with durability Full, fan-out/fan-in of {plan.FanOut}, "
                + $"{plan.Events} external events; Microsoft in-process: {plan.InProcSequentialRuns} x {plan.InProcSequential} sequential, fan-out of {plan.InProcFanOut} "
                + $"(in the first {plan.InProcFanOutRounds} rounds); warm-up passes, then median of {plan.Rounds} rounds");

            // The in-process runtime's generic hosts take over Ctrl+C and SIGTERM (their console lifetime cancels the
            // default exit and only stops those hosts; a SIGTERM left the run hanging): end the run here instead.
            using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Abort(context, root, 130));
            using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Abort(context, root, 143));
            await using var inProc = await InProcessBaseline.StartAsync();
            int file = 0;
            string NextHub(string name) => Path.Combine(root, $"{name}-{file++}.db");

            // Warm-up, not reported: passes of every measurement at a quarter of its size (Microsoft's fan-out, which runs
            // at a near-constant few activities/s whatever its size, with 3 activities), until a pass compiles few new
            // methods. Tiered compilation promotes hot code in stages (tier 0, instrumented, optimized), each after a
            // quiet spell following the previous one: here the first four or five passes each compile thousands of
            // methods (seconds on two cores), and after a single warm-up the first measured round still paid for it.
            for (int pass = 1; ; pass++)
            {
                var elapsed = Stopwatch.StartNew();
                TimeSpan jitBefore = JitInfo.GetCompilationTime();
                long methodsBefore = JitInfo.GetCompiledMethodCount();
                await MeasureSequentialAsync(NextHub("warmup-seq"), plan.Sequential / 4, TaskHubDurability.Normal);
                await MeasureSequentialAsync(NextHub("warmup-seq-full"), plan.SequentialFull / 4, TaskHubDurability.Full);
                await MeasureFanOutFanInAsync(NextHub("warmup-fan"), plan.FanOut / 4);
                await MeasureEventsAsync(NextHub("warmup-events"), plan.Events / 4);
                await inProc.MeasureSequentialAsync(plan.InProcSequential / 4);
                await inProc.MeasureFanOutAsync(3);
                TimeSpan jit = JitInfo.GetCompilationTime() - jitBefore;
                long compiled = JitInfo.GetCompiledMethodCount() - methodsBefore;
                Console.WriteLine($"  warm-up pass {pass}: {elapsed.Elapsed.TotalSeconds:F1} s, compiled {compiled} methods in {jit.TotalSeconds:F1} s");
                if (compiled < SettledJitMethodsPerPass || pass == MaxWarmupPasses)
                {
                    break;
                }
            }

            var rounds = new List<Round>(plan.Rounds);
            for (int i = 1; i <= plan.Rounds; i++)
            {
                var elapsed = Stopwatch.StartNew();
                double sqlite = MeasureSqliteCeiling(NextHub("raw"), plan.CeilingDuration);
                double sequential = await MeasureSequentialAsync(NextHub("seq"), plan.Sequential, TaskHubDurability.Normal);
                double sequentialFull = await MeasureSequentialAsync(NextHub("seq-full"), plan.SequentialFull, TaskHubDurability.Full);
                var (fanOut, fanIn) = await MeasureFanOutFanInAsync(NextHub("fan"), plan.FanOut);
                double events = await MeasureEventsAsync(NextHub("events"), plan.Events);
                double inProcSequential = await inProc.MeasureSequentialAsync(plan.InProcSequential, plan.InProcSequentialRuns);
                double? inProcFanOut = i <= plan.InProcFanOutRounds ? await inProc.MeasureFanOutAsync(plan.InProcFanOut) : null;
                var round = new Round(sqlite, sequential, sequentialFull, fanOut, fanIn, events, inProcSequential, inProcFanOut);
                rounds.Add(round);
                Console.WriteLine($"  round {i}/{plan.Rounds} ({elapsed.Elapsed.TotalSeconds:F1} s): sqlite {sqlite:F0}/s, sequential {sequential:F0}/s, "
                    + $"sequential_full {sequentialFull:F0}/s, fanout {fanOut:F0}/s, fanin {fanIn:F0}/s, events {events:F0}/s; "
                    + $"in-process sequential {inProcSequential:F0}/s" + (inProcFanOut is { } f ? $", fanout {f:F1}/s" : ""));
            }

            double Med(Func<Round, double?> figure) => Median(rounds.Select(figure).OfType<double>().ToList());
            double sqliteMedian = Med(r => r.Sqlite);
            double sequentialFullMedian = Med(r => r.SequentialFull);
            var inProcMedians = new Dictionary<string, double>
            {
                ["sequential"] = Med(r => r.InProcSequential),
                ["fanout"] = Med(r => r.InProcFanOut),
            };
            var results = new List<(string Metric, double Value, string Unit)>
            {
                ("sequential", Med(r => r.Sequential), "activities/s"),
                ("fanout", Med(r => r.FanOut), "activities/s"),
                ("fanin", Med(r => r.FanIn), "responses/s"),
                ("events", Med(r => r.Events), "events/s"),
            };

            Console.WriteLine($"  sqlite ceiling: {sqliteMedian:F0} single-row durable transactions/s");
            foreach (var (metric, value, unit) in results)
            {
                string inProcText = inProcMedians.TryGetValue(metric, out double theirs)
                    ? $", {value / theirs:F1}x Microsoft in-process ({theirs:F1}/s)"
                    : "";
                Console.WriteLine($"  {metric,-15} {value,10:F0} {unit,-13} = {value / DurableFunctionsTargets[metric],7:F1}x Durable Functions target ({DurableFunctionsTargets[metric]}/s), {value / sqliteMedian:F3}x SQLite ceiling{inProcText}");
            }

            double sequentialMedian = results[0].Value;
            Console.WriteLine($"  {"sequential_full",-15} {sequentialFullMedian,10:F0} {"activities/s",-13} = {sequentialFullMedian / sequentialMedian:F2}x sequential with durability Normal (synchronous=FULL: every commit flushed)");

            // The Azure Storage backend on Azurite, same work, same run (one measurement: it takes seconds per activity batch).
            var azureStorage = await AzureStorageBenchmark.MeasureEngineAsync(quick);
            foreach (var (metric, value) in azureStorage)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"RESULT azure_storage_{metric} {value:F1} activities/s vs_df={value / DurableFunctionsTargets[metric]:F2}"));
            }

            foreach (var (metric, value, unit) in results)
            {
                string inProcField = inProcMedians.TryGetValue(metric, out double theirs) ? $" vs_ms_inproc={value / theirs:F2}" : "";
                inProcField += azureStorage.TryGetValue(metric, out double azure) ? $" vs_azure_storage={value / azure:F1}" : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"RESULT {metric} {value:F1} {unit} vs_df={value / DurableFunctionsTargets[metric]:F2} vs_sqlite={value / sqliteMedian:F4}{inProcField}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT sequential_full {sequentialFullMedian:F1} activities/s vs_normal={sequentialFullMedian / sequentialMedian:F2}"));

            // Wave overhead on the Azure Storage backend: a wave of tiny databases on one worker, then on two.
            await AzureStorageBenchmark.RunWaveAsync(quick);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Abort(PosixSignalContext context, string root, int exitCode)
    {
        context.Cancel = true;
        Console.Error.WriteLine($"engine benchmark: {context.Signal}, stopping");
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the temporary directory holds task hub files only.
        }

        Environment.Exit(exitCode);
    }

    /// <summary>Calls a no-op activity <paramref name="n"/> times in a row.</summary>
    internal static async Task<int> SequenceAsync(TaskOrchestrationContext ctx, int n)
    {
        int sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += await ctx.CallActivityAsync<int>("Noop", 1);
        }

        return sum;
    }

    /// <summary>Schedules <paramref name="n"/> no-op activities at once and waits for all.</summary>
    internal static async Task<int> FanOutAsync(TaskOrchestrationContext ctx, int n)
    {
        int[] all = await Task.WhenAll(Enumerable.Range(0, n).Select(_ => ctx.CallActivityAsync<int>("Noop", 1)));
        return all.Sum();
    }

    private static async Task<double> MeasureSequentialAsync(string taskHub, int count, TaskHubDurability durability)
    {
        await using var host = await BenchHost.StartAsync(taskHub, durability, r => r
            .AddActivityFunc<int, int>("Noop", (_, n) => Task.FromResult(n))
            .AddOrchestratorFunc<int, int>("Sequence", SequenceAsync));
        var stopwatch = Stopwatch.StartNew();
        await host.RunAsync("Sequence", count);
        return count / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task<(double FanOut, double FanIn)> MeasureFanOutFanInAsync(string taskHub, int count)
    {
        var clock = new ActivityClock();
        await using var host = await BenchHost.StartAsync(taskHub, TaskHubDurability.Normal, r => r
            .AddActivityFunc<int, int>("Noop", (_, n) =>
            {
                clock.Record();
                return Task.FromResult(n);
            })
            .AddOrchestratorFunc<int, int>("FanOut", FanOutAsync));
        long start = Stopwatch.GetTimestamp();
        await host.RunAsync("FanOut", count);
        long end = Stopwatch.GetTimestamp();
        // Fan-out: activities executed per second from the start to the last one. Fan-in: responses the orchestrator
        // absorbed per second, from the first activity result to the orchestration's completion.
        double fanOut = count / Stopwatch.GetElapsedTime(start, clock.LastDone).TotalSeconds;
        double fanIn = count / Stopwatch.GetElapsedTime(clock.FirstDone, end).TotalSeconds;
        return (fanOut, fanIn);
    }

    private static async Task<double> MeasureEventsAsync(string taskHub, int count)
    {
        await using var host = await BenchHost.StartAsync(taskHub, TaskHubDurability.Normal, r => r
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

        await host.WaitAsync(id, count);
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

    private static double Median(List<double> values)
    {
        values.Sort();
        int middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    private static string RuntimeDescription() => RuntimeInformation.FrameworkDescription;

    /// <summary>How much work each measurement does, and how many rounds.</summary>
    /// <remarks>
    /// Quick and full runs give every measurement the same work, each of the engine's lasting a second or more here (a
    /// shorter one is mostly start-up, tiering and scheduling noise); quick runs fewer rounds. Microsoft's in-process
    /// runtime gets smaller counts: it replays the whole history on every turn (its sequential rate falls as the
    /// history grows: about 550/s at 100 activities, 350/s at 500 here) and its fan-out runs at about 4 activities/s
    /// whatever its size; compare rates, not counts.
    /// </remarks>
    /// <param name="Rounds">Measured rounds after the warm-up; each figure is the median over them.</param>
    /// <param name="Sequential">Activities one orchestration calls in a row, durability Normal.</param>
    /// <param name="SequentialFull">The same with durability Full (every commit flushed: slower, so fewer).</param>
    /// <param name="FanOut">Activities one orchestration schedules at once.</param>
    /// <param name="Events">External events one orchestration waits for.</param>
    /// <param name="InProcSequential">Sequential activities per orchestration on Microsoft's in-process runtime.</param>
    /// <param name="InProcSequentialRuns">Such orchestrations per measurement, one after another (one alone lasts a fraction of a second).</param>
    /// <param name="InProcFanOut">Fan-out size on Microsoft's in-process runtime.</param>
    /// <param name="InProcFanOutRounds">Rounds that include Microsoft's fan-out (about 12 s each; its rate varies little).</param>
    /// <param name="CeilingDuration">How long each SQLite ceiling measurement runs.</param>
    private sealed record Plan(
        int Rounds, int Sequential, int SequentialFull, int FanOut, int Events,
        int InProcSequential, int InProcSequentialRuns, int InProcFanOut, int InProcFanOutRounds, TimeSpan CeilingDuration)
    {
        public static Plan Quick { get; } = new(5, 2000, 500, 5000, 3000, 200, 3, 50, 3, TimeSpan.FromSeconds(1));

        public static Plan Full { get; } = new(9, 2000, 500, 5000, 3000, 200, 3, 50, 5, TimeSpan.FromSeconds(1));
    }

    private sealed record Round(
        double Sqlite, double Sequential, double SequentialFull, double FanOut, double FanIn, double Events,
        double InProcSequential, double? InProcFanOut);
}

/// <summary>When the first and the last activity of a measurement ran.</summary>
internal sealed class ActivityClock
{
    private long _first = long.MaxValue;
    private long _last;

    public long FirstDone => Interlocked.Read(ref _first);

    public long LastDone => Interlocked.Read(ref _last);

    public void Reset()
    {
        Interlocked.Exchange(ref _first, long.MaxValue);
        Interlocked.Exchange(ref _last, 0);
    }

    public void Record()
    {
        long now = Stopwatch.GetTimestamp();
        long current;
        while (now < (current = Interlocked.Read(ref _first)) && Interlocked.CompareExchange(ref _first, now, current) != current)
        {
        }

        while (now > (current = Interlocked.Read(ref _last)) && Interlocked.CompareExchange(ref _last, now, current) != current)
        {
        }
    }
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

    public static async Task<BenchHost> StartAsync(string taskHub, TaskHubDurability durability, Action<DurableTaskRegistry> register)
    {
        var services = new ServiceCollection()
            .AddDurableEngine(
                o =>
                {
                    o.TaskHubPath = taskHub;
                    o.Durability = durability;
                },
                register)
            .BuildServiceProvider();
        var host = new BenchHost(services);
        await host.Engine.StartAsync(CancellationToken.None);
        return host;
    }

    /// <summary>Runs an orchestration whose output must equal its input (the sum of N ones).</summary>
    public async Task RunAsync(string orchestrator, int input) =>
        await WaitAsync(await Client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input), input);

    public async Task WaitAsync(string instanceId, int expectedOutput)
    {
        var result = await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true);
        if (result.RuntimeStatus != OrchestrationRuntimeStatus.Completed || result.ReadOutputAs<int>() != expectedOutput)
        {
            throw new InvalidOperationException($"Benchmark orchestration {instanceId} ended {result.RuntimeStatus} with output {result.SerializedOutput}: {result.FailureDetails}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
    }
}
