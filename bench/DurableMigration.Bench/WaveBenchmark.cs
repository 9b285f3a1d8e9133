using System.Diagnostics;
using System.Globalization;
using DurableMigration.Host.Hosting;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using DurableMigration.Providers;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DurableMigration.Bench;

/// <summary>Wave benchmarks: orchestration overhead of a large wave, and copy speed against SQLite's own <c>VACUUM INTO</c>.</summary>
/// <remarks>
/// (1) A wave of many tiny databases with a random dependency graph, run by the real orchestrations on the embedded
/// runtime, against a baseline that makes the very same provider calls directly, with the same parallelism, in the
/// same run. Overhead per database = (wave wall time − baseline wall time) / databases.
/// (2) One large SQLite database copied by the provider (schema + data, with progress reporting) against
/// <c>VACUUM INTO</c> of the same file, measured in the same run; validation is timed separately, and copy and
/// validation together (<c>copy_validated</c>) against the same <c>VACUUM INTO</c>.
/// </remarks>
internal static class WaveBenchmark
{
    private const int MaxParallel = 8;

    public static async Task RunAsync(bool quick, bool skipCopy = false, bool engineOnly = false)
    {
        int databases = quick ? 200 : 1000;
        long copyBytes = quick ? 100L << 20 : 1L << 30;
        string root = Path.Combine(Path.GetTempPath(), "dmig-bench-wave", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            Console.WriteLine($"wave benchmark ({(quick ? "quick" : "full")}): {Environment.ProcessorCount} cores; {databases} tiny databases, maxParallel {MaxParallel}; copy of a {copyBytes >> 20} MiB database");
            // Both walls vary by seconds between runs on a small VM, and the first run of a process by the most (JIT, a
            // cold file cache): one unreported warm-up run at a quarter of the size, then the run with the median
            // overhead of several, with the spread printed so a difference can be judged against it.
            await MeasureWaveAsync(Path.Combine(root, "warm-up"), databases / 4, noopProviders: engineOnly);
            if (engineOnly)
            {
                await ReportEngineOnlyAsync(root, databases, quick);
                return;
            }

            var runs = new List<(double Wave, double Baseline)>();
            for (int run = 0; run < (quick ? 1 : 5); run++)
            {
                var (wave, baseline) = await MeasureWaveAsync(Path.Combine(root, $"wave-{run}"), databases);
                runs.Add((wave.Wall, baseline.Wall));
                // CPU seconds beside each wall: the walls swing with the disk's fsync latency, the CPU much less.
                Console.WriteLine($"  run {run + 1}: wave {wave.Wall:F2} s (CPU {wave.Cpu:F2} s), baseline {baseline.Wall:F2} s (CPU {baseline.Cpu:F2} s), overhead {(wave.Wall - baseline.Wall) * 1000 / databases:F2} ms/database");
            }

            var (waveSeconds, baselineSeconds) = runs.OrderBy(r => r.Wave - r.Baseline).ElementAt(runs.Count / 2);
            double overheadMs = (waveSeconds - baselineSeconds) * 1000 / databases;
            double lowest = runs.Min(r => r.Wave - r.Baseline) * 1000 / databases;
            double highest = runs.Max(r => r.Wave - r.Baseline) * 1000 / databases;
            Console.WriteLine($"  wave of {databases}: {waveSeconds:F2} s; same provider calls without orchestration: {baselineSeconds:F2} s; overhead {overheadMs:F2} ms/database, runs {lowest:F2}–{highest:F2} (goal < 3)");

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT wave_overhead {overheadMs:F2} ms/database vs_goal={overheadMs / 3:F2} wave_s={waveSeconds:F2} baseline_s={baselineSeconds:F2}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT wave_wall {waveSeconds:F2} s databases={databases}"));

            await ReportEngineOnlyAsync(root, databases, quick);
            if (skipCopy)
            {
                return;
            }

            await ReportCopyAsync(root, copyBytes);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// The same wave with providers that return at once: what the orchestrations and the runtime cost alone, without the
    /// provider work they overlap with in the real wave (a diagnostic for the overhead, not a goal).
    /// </summary>
    private static async Task ReportEngineOnlyAsync(string root, int databases, bool quick)
    {
        var runs = new List<Timing>();
        for (int run = 0; run < (quick ? 1 : 3); run++)
        {
            runs.Add((await MeasureWaveAsync(Path.Combine(root, $"engine-{run}"), databases, noopProviders: true)).Wave);
        }

        double engineMs = runs.Select(r => r.Wall).Order().ElementAt(runs.Count / 2) * 1000 / databases;
        Console.WriteLine($"  the same wave with providers that return at once: {string.Join(", ", runs.Select(r => $"{r.Wall:F2} s (CPU {r.Cpu:F2} s)"))}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT wave_engine_only {engineMs:F2} ms/database databases={databases}"));
    }

    /// <summary>The copy measurement alone (<c>--no-wave</c>).</summary>
    public static async Task RunCopyAsync(bool quick)
    {
        long copyBytes = quick ? 100L << 20 : 1L << 30;
        string root = Path.Combine(Path.GetTempPath(), "dmig-bench-wave", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            Console.WriteLine($"wave benchmark, copy only ({(quick ? "quick" : "full")}): {Environment.ProcessorCount} cores; copy of a {copyBytes >> 20} MiB database");
            await ReportCopyAsync(root, copyBytes);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task ReportCopyAsync(string root, long copyBytes)
    {
        var copy = await MeasureCopyAsync(Path.Combine(root, "copy"), copyBytes);
        Console.WriteLine($"  copy of {copy.MiB:F0} MiB: provider {copy.ProviderSeconds:F2} s ({copy.MiB / copy.ProviderSeconds:F0} MiB/s, {copy.ProgressReports} progress reports), VACUUM INTO {copy.VacuumSeconds:F2} s ({copy.MiB / copy.VacuumSeconds:F0} MiB/s), ratio {copy.VacuumSeconds / copy.ProviderSeconds:F2} (goal >= 0.8); validation {copy.ValidationSeconds:F2} s; copy + validation {copy.ValidatedSeconds:F2} s, ratio {copy.VacuumSeconds / copy.ValidatedSeconds:F2} (floor 0.7, aim 0.9)");

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT copy {copy.MiB / copy.ProviderSeconds:F1} MiB/s vs_vacuum={copy.VacuumSeconds / copy.ProviderSeconds:F2} vacuum_mibs={copy.MiB / copy.VacuumSeconds:F1} validate_s={copy.ValidationSeconds:F2}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT copy_validated {copy.MiB / copy.ValidatedSeconds:F1} MiB/s vs_vacuum={copy.VacuumSeconds / copy.ValidatedSeconds:F2}"));
    }

    /// <summary>Runs the baseline, then the wave; with <paramref name="noopProviders"/> only the wave, its provider replaced by one that does nothing.</summary>
    private static async Task<(Timing Wave, Timing Baseline)> MeasureWaveAsync(string directory, int count, bool noopProviders = false)
    {
        var random = new Random(1000);
        var specs = new List<DatabaseSpec>();
        Directory.CreateDirectory(Path.Combine(directory, "source"));
        Directory.CreateDirectory(Path.Combine(directory, "target"));
        Directory.CreateDirectory(Path.Combine(directory, "direct"));
        for (int i = 0; i < count; i++)
        {
            string name = $"db{i:D4}";
            string source = Path.Combine(directory, "source", name + ".db");
            if (!noopProviders)
            {
                await CreateTinyAsync(source, i); // the no-op provider never opens its files
            }

            var dependsOn = i == 0 ? [] : Enumerable.Range(0, random.Next(0, 3)).Select(_ => $"db{random.Next(0, i):D4}").Distinct().ToList();
            specs.Add(new DatabaseSpec(name, new DatabaseEndpoint("sqlite", $"Data Source={source}"),
                new DatabaseEndpoint("sqlite", $"Data Source={Path.Combine(directory, "target", name + ".db")}"), dependsOn, 0, null, new ValidationOptions(true, true)));
        }

        var manifest = new WaveManifest("bench-wave", MigrationMode.Offline, MaxParallel, new FailurePolicy(FailureAction.RollbackWave, TimeSpan.FromHours(1)),
            new CutoverPolicy(CutoverApproval.Auto, null, 5), new AlertPolicy(null, null), specs);

        if (noopProviders)
        {
            return (await RunWaveAsync(directory, manifest, services =>
            {
                services.RemoveAll<IDatabaseProvider>();
                services.AddSingleton<IDatabaseProvider, NoopSqliteProvider>();
            }), new Timing(0, 0));
        }

        // Baseline: the same provider calls, same parallelism, no orchestration. Sources are copied first so both runs start equal.
        await using var baselineHost = DmigHost.Create(Path.Combine(directory, "baseline-data"));
        var provider = baselineHost.Services.GetRequiredService<IDatabaseProviderCatalog>().Get("sqlite");
        var registry = baselineHost.Services.GetRequiredService<IConnectionRegistry>();
        var direct = specs.Select(s => s with
        {
            Source = s.Source with { Connection = $"Data Source={Path.Combine(directory, "direct", s.Name + "-src.db")}" },
            Target = s.Target with { Connection = $"Data Source={Path.Combine(directory, "direct", s.Name + ".db")}" },
        }).ToList();
        foreach (var (spec, copy) in specs.Zip(direct))
        {
            File.Copy(spec.Source.Connection["Data Source=".Length..], copy.Source.Connection["Data Source=".Length..]);
        }

        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime; // the process's CPU: both cores, every thread
        var baseline = Stopwatch.StartNew();
        await Parallel.ForEachAsync(direct, new ParallelOptions { MaxDegreeOfParallelism = MaxParallel }, async (spec, ct) =>
        {
            var endpoints = new MigrationEndpoints(spec.Name, spec.Source.Connection, spec.Target.Connection, null);
            await provider.AssessAsync(endpoints, ct);
            await provider.CopySchemaAsync(endpoints, ct);
            await provider.CopyDataAsync(endpoints, new Progress<CopyProgress>(), ct);
            await provider.MakeSourceReadOnlyAsync(endpoints, ct);
            if (provider.SupportsChangeSync)
            {
                await provider.SyncChangesAsync(endpoints, ct); // the final sync, as the wave's cutover makes it
            }

            await provider.ValidateAsync(endpoints, spec.Validation, ct);
            await provider.RecordTargetBaselineAsync(endpoints, ct); // as the wave's remediation does before the switch
            await registry.SwitchAsync(spec.Name, spec.Target.Connection, "sqlite", "bench", ct);
        });
        double baselineSeconds = baseline.Elapsed.TotalSeconds;
        double baselineCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        return (await RunWaveAsync(directory, manifest), new Timing(baselineSeconds, baselineCpu));
    }

    /// <summary>Runs <paramref name="manifest"/> on the embedded runtime in a fresh data directory; returns its wall and CPU time.</summary>
    private static async Task<Timing> RunWaveAsync(string directory, WaveManifest manifest, Action<IServiceCollection>? configure = null)
    {
        await using var host = DmigHost.Create(Path.Combine(directory, "wave-data"), configure);
        await host.StartEngineAsync();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var wave = Stopwatch.StartNew();
        await host.Client.ScheduleNewOrchestrationInstanceAsync(MigrationNames.WaveOrchestration, new WaveInput(manifest), new StartOrchestrationOptions(manifest.Wave));
        var result = await host.Client.WaitForInstanceCompletionAsync(manifest.Wave, getInputsAndOutputs: true);
        double waveSeconds = wave.Elapsed.TotalSeconds;
        double waveCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        var outcome = result.ReadOutputAs<WaveResult>()?.Outcome;
        if (outcome != WaveOutcome.Completed)
        {
            throw new InvalidOperationException($"The benchmark wave ended {result.RuntimeStatus}/{outcome}: {result.FailureDetails}");
        }

        return new Timing(waveSeconds, waveCpu);
    }

    private static async Task<(double MiB, double ProviderSeconds, double VacuumSeconds, double ValidationSeconds, double ValidatedSeconds, int ProgressReports)> MeasureCopyAsync(string directory, long bytes)
    {
        Directory.CreateDirectory(directory);
        string source = Path.Combine(directory, "large.db");
        Console.WriteLine($"  generating a {bytes >> 20} MiB source…");
        await CreateLargeAsync(source, bytes);

        // The generator writes without fsync; a real source has long been on disk. Without this, the first fsync of
        // the source (the change capture's commit) would pay for writing the whole generated file.
        using (var handle = File.OpenHandle(source, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.FlushToDisk(handle);
        }

        double mib = new FileInfo(source).Length / (double)(1 << 20);

        // Warm the page cache equally for both: each reads the same file once before its timed run.
        await File.ReadAllBytesAsync(source);
        string vacuumTarget = Path.Combine(directory, "vacuum.db");
        var vacuum = Stopwatch.StartNew();
        await using (var connection = new SqliteConnection($"Data Source={source};Mode=ReadOnly;Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandTimeout = 0;
            command.CommandText = $"VACUUM INTO '{vacuumTarget}'";
            await command.ExecuteNonQueryAsync();
        }

        double vacuumSeconds = vacuum.Elapsed.TotalSeconds;
        File.Delete(vacuumTarget);

        await using var host = DmigHost.Create(Path.Combine(directory, "data"));
        var provider = host.Services.GetRequiredService<IDatabaseProviderCatalog>().Get("sqlite");
        var endpoints = new MigrationEndpoints("large", $"Data Source={source}", $"Data Source={Path.Combine(directory, "copy.db")}", null);
        int reports = 0;
        var progress = new CountingProgress(() => reports++);
        await File.ReadAllBytesAsync(source);
        var copy = Stopwatch.StartNew();
        await provider.CopySchemaAsync(endpoints);
        await provider.CopyDataAsync(endpoints, progress);
        double providerSeconds = copy.Elapsed.TotalSeconds;

        var validate = Stopwatch.StartNew();
        var report = await provider.ValidateAsync(endpoints, new ValidationOptions(true, true));
        double validationSeconds = validate.Elapsed.TotalSeconds;
        double validatedSeconds = copy.Elapsed.TotalSeconds; // copy and validation back to back, on one clock
        if (!report.Passed)
        {
            throw new InvalidOperationException("The copied database does not match its source.");
        }

        return (mib, providerSeconds, vacuumSeconds, validationSeconds, validatedSeconds, reports);
    }

    internal static async Task CreateTinyAsync(string path, int seed)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = string.Create(CultureInfo.InvariantCulture, $"""
            CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
            INSERT INTO t (v) VALUES ('a{seed}'), ('b{seed}'), ('c{seed}'), ('d{seed}'), ('e{seed}');
            """);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A table of rows of about 200 bytes (integers, a real, text, a blob) until the file reaches <paramref name="bytes"/>.</summary>
    private static async Task CreateLargeAsync(string path, long bytes)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using (var setup = connection.CreateCommand())
        {
            setup.CommandText = """
                PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
                CREATE TABLE events (id INTEGER PRIMARY KEY, account INTEGER NOT NULL, amount REAL NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, blob BLOB);
                CREATE INDEX ix_events_account ON events (account);
                """;
            await setup.ExecuteNonQueryAsync();
        }

        long rows = bytes / 190; // about 190 bytes of file per row, indexes included
        const long batch = 200_000;
        for (long start = 0; start < rows; start += batch)
        {
            await using var insert = connection.CreateCommand();
            // A recursive CTE generates rows inside SQLite: the benchmark measures the copy, not the generator.
            insert.CommandText = string.Create(CultureInfo.InvariantCulture, $"""
                WITH RECURSIVE n(i) AS (SELECT {start} UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {Math.Min(rows, start + batch)})
                INSERT INTO events (id, account, amount, kind, body, blob)
                SELECT i, i % 9973, i * 0.37, 'kind-' || (i % 17), printf('%0120d-%s', i, hex(randomblob(8))), CASE WHEN i % 4 = 0 THEN randomblob(24) END FROM n
                """);
            insert.CommandTimeout = 0;
            await insert.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Wall-clock seconds and the process's CPU seconds (all threads) of one measured part.</summary>
    private readonly record struct Timing(double Wall, double Cpu);

    private sealed class CountingProgress(Action onReport) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value) => onReport();
    }
}

/// <summary>An engine <c>sqlite</c> provider whose every call returns at once with a plausible result: the wave then costs only its orchestration.</summary>
internal sealed class NoopSqliteProvider : IDatabaseProvider
{
    public string Engine => "sqlite";

    public bool SupportsOnline => false;

    public Task<AssessmentReport> AssessAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        Task.FromResult(new AssessmentReport(endpoints.Database, "noop", 4096, 1, []));

    public Task<SchemaCopyResult> CopySchemaAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        Task.FromResult(new SchemaCopyResult(1, 0, 0, 0));

    public Task<DataCopyResult> CopyDataAsync(MigrationEndpoints endpoints, IProgress<CopyProgress> progress, CancellationToken cancellationToken = default) =>
        Task.FromResult(new DataCopyResult([new TableCopyResult("items", 5)], 5, 4096));

    public Task MakeSourceReadOnlyAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<ValidationReport> ValidateAsync(MigrationEndpoints endpoints, ValidationOptions options, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ValidationReport([new TableValidation("items", 5, 5, "same", "same")], []) { ComparedRowCounts = true, ComparedChecksums = true, ComparedTables = 1 });

    public Task DropTargetAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task MakeSourceWritableAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
