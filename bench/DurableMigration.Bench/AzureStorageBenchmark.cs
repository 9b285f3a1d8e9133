using System.Diagnostics;
using System.Globalization;
using DurableMigration.Backends.AzureStorage;
using DurableMigration.Backends.AzureStorage.DependencyInjection;
using DurableMigration.Backends.AzureStorage.Worker;
using DurableMigration.Host.Hosting;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using DurableMigration.Testing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Bench;

/// <summary>The same sequential and fan-out work, and a wave, on the Durable Task Framework's Azure Storage backend against Azurite.</summary>
/// <remarks>
/// Azurite is an emulator on loopback: no network latency, no throttling, no real disks, one Node process. Real storage
/// adds tens of milliseconds per queue and table operation, and the backend's polling dominates either way.
/// </remarks>
internal static class AzureStorageBenchmark
{
    /// <summary>Measures sequential and fan-out activities/s on one in-process worker; returns them by metric.</summary>
    public static async Task<Dictionary<string, double>> MeasureEngineAsync(bool quick)
    {
        await using var azurite = await AzuriteServer.StartAsync();
        int sequential = quick ? 20 : 60;
        int fanOut = quick ? 50 : 200;
        var account = StorageAccount.FromConnectionString(azurite.ConnectionString);
        var services = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        string hub = "bench" + Guid.NewGuid().ToString("N")[..8];
        services.AddAzureStorageBackend(
            o => { o.Account = account; o.TaskHubName = hub; o.MaxQueuePollingInterval = TimeSpan.FromMilliseconds(500); },
            r => r.AddActivityFunc<int, int>("Noop", (_, n) => Task.FromResult(n))
                .AddOrchestratorFunc<int, int>("Sequence", EngineBenchmark.SequenceAsync)
                .AddOrchestratorFunc<int, int>("FanOut", EngineBenchmark.FanOutAsync));
        await using var provider = services.BuildServiceProvider();
        var worker = provider.GetRequiredService<AzureStorageTaskHubWorker>();
        await worker.StartAsync(CancellationToken.None);
        var client = provider.GetRequiredService<DurableTaskClient>();
        try
        {
            await RunAsync(client, "Sequence", 3); // warm-up: hub created, partitions leased, code compiled
            var clock = Stopwatch.StartNew();
            await RunAsync(client, "Sequence", sequential);
            double sequentialRate = sequential / clock.Elapsed.TotalSeconds;
            clock.Restart();
            await RunAsync(client, "FanOut", fanOut);
            double fanOutRate = fanOut / clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  azure storage (Azurite): sequential {sequentialRate:F1}/s ({sequential} activities), fanout {fanOutRate:F1}/s ({fanOut} activities)"));
            return new() { ["sequential"] = sequentialRate, ["fanout"] = fanOutRate };
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>A wave of tiny databases on one worker and on two (in this process); prints wall time per database.</summary>
    public static async Task RunWaveAsync(bool quick)
    {
        int count = quick ? 20 : 200;
        await using var azurite = await AzuriteServer.StartAsync();
        string root = Path.Combine(Path.GetTempPath(), "dmig-bench-as", Guid.NewGuid().ToString("N")[..8]);
        try
        {
            foreach (int workers in new[] { 1, 2 })
            {
                double seconds = await MeasureWaveAsync(Path.Combine(root, $"w{workers}"), azurite.ConnectionString, count, workers);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"RESULT azure_storage_wave_{workers}w {seconds * 1000 / count:F1} ms/database databases={count} workers={workers} wave_s={seconds:F1}"));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<double> MeasureWaveAsync(string directory, string connection, int count, int workers)
    {
        Directory.CreateDirectory(Path.Combine(directory, "source"));
        Directory.CreateDirectory(Path.Combine(directory, "target"));
        var specs = new List<DatabaseSpec>();
        for (int i = 0; i < count; i++)
        {
            string name = $"db{i:D4}";
            string source = Path.Combine(directory, "source", name + ".db");
            await WaveBenchmark.CreateTinyAsync(source, i);
            specs.Add(new DatabaseSpec(name, new DatabaseEndpoint("sqlite", $"Data Source={source}"),
                new DatabaseEndpoint("sqlite", $"Data Source={Path.Combine(directory, "target", name + ".db")}"), [], 0, null, new ValidationOptions(true, true)));
        }

        var manifest = new WaveManifest("bench-wave", MigrationMode.Offline, 8, new FailurePolicy(FailureAction.RollbackWave, TimeSpan.FromHours(1)),
            new CutoverPolicy(CutoverApproval.Auto, null, 5), new AlertPolicy(null, null), specs);
        string hub = "benchwave" + Guid.NewGuid().ToString("N")[..8];
        var hosts = new List<DmigHost>();
        try
        {
            for (int w = 0; w < workers; w++)
            {
                var options = new AzureStorageBackendOptions
                {
                    Account = StorageAccount.FromConnectionString(connection),
                    TaskHubName = hub,
                    MaxQueuePollingInterval = TimeSpan.FromMilliseconds(500),
                    WorkerId = $"bench-{w + 1}",
                };
                var host = DmigHost.CreateForAzureStorage(Path.Combine(directory, "data"), options, worker: true);
                hosts.Add(host);
                await host.StartWorkerAsync();
            }

            var client = hosts[0].Client;
            var clock = Stopwatch.StartNew();
            await client.ScheduleNewOrchestrationInstanceAsync(MigrationNames.WaveOrchestration, new WaveInput(manifest), new StartOrchestrationOptions(manifest.Wave));
            var result = await client.WaitForInstanceCompletionAsync(manifest.Wave, getInputsAndOutputs: true);
            double seconds = clock.Elapsed.TotalSeconds;
            if (result.ReadOutputAs<WaveResult>()?.Outcome != WaveOutcome.Completed)
            {
                throw new InvalidOperationException($"The benchmark wave ended {result.RuntimeStatus}: {result.FailureDetails}");
            }

            return seconds;
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    private static async Task RunAsync(DurableTaskClient client, string orchestrator, int n)
    {
        string id = await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, n);
        var done = await client.WaitForInstanceCompletionAsync(id);
        if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
        {
            throw new InvalidOperationException($"{orchestrator} ended {done.RuntimeStatus}: {done.FailureDetails}");
        }
    }
}
