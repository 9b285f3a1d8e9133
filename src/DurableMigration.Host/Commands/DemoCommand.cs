using System.CommandLine;
using DurableMigration.Host.Demo;
using DurableMigration.Host.Hosting;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using DurableMigration.Providers.Sqlite;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig demo</c>: sample databases and a sample wave over them.</summary>
internal static class DemoCommand
{
    public static Command Create(CommonOptions options)
    {
        var pace = new Option<int>("--pace")
        {
            Description = $"Milliseconds the demo's copies pause after every {PacedRows:N0} rows, so the live table can be watched (default {DefaultPace}; 0 copies at full speed)",
            DefaultValueFactory = _ => DefaultPace,
        };
        var demo = new Command("demo", "Create sample social-media databases in the data directory and migrate them in a sample wave.");
        demo.Options.Add(pace);
        demo.SetAction((parse, ct) => RunAsync(options.For(parse), Math.Max(0, parse.GetValue(pace)), ct));
        return demo;
    }

    /// <summary>The default pause in milliseconds: the wave then takes a few seconds, long enough to see its table move.</summary>
    private const int DefaultPace = 60;

    /// <summary>Rows between two progress reports (and pauses) in the demo.</summary>
    private const int PacedRows = 1_000;

    private static async Task<int> RunAsync(CommandContext context, int paceMilliseconds, CancellationToken ct)
    {
        await using var host = context.CreateHost(services =>
        {
            if (paceMilliseconds > 0)
            {
                services.AddSingleton(new SqliteProviderOptions { ProgressBatchRows = PacedRows });
                services.AddSingleton<IMigrationProgressStore>(new PacedProgressStore(new InMemoryMigrationProgressStore(), TimeSpan.FromMilliseconds(paceMilliseconds)));
            }
        });
        var inFlight = await WaveQueries.FirstWaveAsync(host.Client, new OrchestrationQuery
        {
            InstanceIdPrefix = "demo-",
            Statuses = [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended],
        }, ct).ConfigureAwait(false);
        if (inFlight is { } resume)
        {
            if (await context.FindRunnerAsync(ct).ConfigureAwait(false) is null)
            {
                context.Output.Notice($"Resuming demo wave [bold]{Markup.Escape(resume.InstanceId)}[/] from {Markup.Escape(host.DataDirectory)}.");
                await context.WarnRestartingCopiesAsync(host, resume.InstanceId, ct).ConfigureAwait(false);
            }

            return await context.WatchToEndAsync(host, resume.InstanceId, ct).ConfigureAwait(false);
        }

        string demoDir = Path.Combine(host.DataDirectory, "demo");
        context.Output.Notice($"Creating sample databases in [bold]{Markup.Escape(demoDir)}[/]…");
        var (users, content, engagement) = await SampleDatabases.CreateAsync(Path.Combine(demoDir, "source"), ct).ConfigureAwait(false);
        string targetDir = Path.Combine(demoDir, "target");
        Directory.CreateDirectory(targetDir);
        string waveId = $"demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        string manifestPath = Path.Combine(demoDir, "wave.json");
        await File.WriteAllTextAsync(manifestPath, Manifest(waveId, users, content, engagement, targetDir), ct).ConfigureAwait(false);
        context.Output.Notice($"users.db ({SampleDatabases.Users:N0} users), content.db ({SampleDatabases.Posts:N0} posts, {SampleDatabases.Comments:N0} comments), engagement.db ({SampleDatabases.Likes:N0} likes, {SampleDatabases.Follows:N0} follows; depends on both). Manifest: [bold]{Markup.Escape(manifestPath)}[/]");
        var manifest = WaveManifestReader.Parse(await File.ReadAllTextAsync(manifestPath, ct).ConfigureAwait(false), manifestPath);
        if (paceMilliseconds > 0)
        {
            context.Output.Notice($"[grey]Paced for watching: the copies pause {paceMilliseconds} ms after every {PacedRows:N0} rows (--pace 0 runs at full speed).[/]");
        }

        // Progress polled every half second, so the live table moves while the paced copies run.
        return await RunCommand.StartAndWatchAsync(context, host, manifest, null, ct, monitorInterval: TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
    }

    private static string Manifest(string waveId, string users, string content, string engagement, string targetDir)
    {
        string Endpoint(string path) => System.Text.Json.JsonSerializer.Serialize(new { engine = "sqlite", connection = $"Data Source={path}" });
        return $$"""
            {
              "wave": "{{waveId}}",
              "mode": "offline",
              "maxParallel": 2,
              "onFailure": "rollbackWave",
              "cutover": { "approval": "auto" },
              "alerts": { "maxDurationMinutes": 30 },
              "databases": [
                { "name": "users", "source": {{Endpoint(users)}}, "target": {{Endpoint(Path.Combine(targetDir, "users.db"))}}, "priority": 10 },
                { "name": "content", "source": {{Endpoint(content)}}, "target": {{Endpoint(Path.Combine(targetDir, "content.db"))}} },
                { "name": "engagement", "source": {{Endpoint(engagement)}}, "target": {{Endpoint(Path.Combine(targetDir, "engagement.db"))}}, "dependsOn": ["users", "content"] }
              ]
            }
            """;
    }
}
