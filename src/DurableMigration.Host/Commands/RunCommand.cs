using System.CommandLine;
using System.Text.Json.Nodes;
using DurableMigration.Application;
using DurableMigration.Host.Console;
using DurableMigration.Host.Hosting;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig run &lt;manifest&gt;</c>: start a wave, or resume it, and show it to its end.</summary>
internal static class RunCommand
{
    public static Command Create(CommonOptions options)
    {
        var manifestArgument = new Argument<FileInfo>("manifest") { Description = "The wave manifest (JSON or YAML)" };
        var drill = new Option<string?>("--drill") { Description = "Rehearse rollback: fail <database>:<step> (validate, migrate, monitor, cutover, postValidate, remediate)" };
        var noWait = new Option<bool>("--no-wait")
        {
            Description = "Start (or resume) the wave in a background dmig process and exit at once with its instance id; follow it with 'dmig watch <wave>'",
        };
        var timeout = Durations.Option("--timeout", "Stop waiting after this long (30s, 10m, 2h, or 00:10:00) and exit 3; the wave stays saved and the same command resumes it");
        var run = new Command("run", "Run a wave to its end with live progress; resumes a wave that is still in flight.");
        run.Arguments.Add(manifestArgument);
        run.Options.Add(drill);
        run.Options.Add(noWait);
        run.Options.Add(timeout);
        run.Validators.Add(result =>
        {
            if (result.GetValue(noWait) && result.GetValue(timeout) is not null)
            {
                result.AddError("Choose one of --no-wait and --timeout.");
            }
        });
        run.SetAction((parse, ct) => RunAsync(
            options.For(parse),
            new RunRequest(parse.GetValue(manifestArgument)!, parse.GetValue(drill), parse.GetValue(noWait), parse.GetValue(timeout)),
            ct));
        return run;
    }

    /// <summary>Starts <paramref name="manifest"/>'s wave (or resumes it) and shows it to its end, or until <paramref name="timeout"/>.</summary>
    public static async Task<int> StartAndWatchAsync(CommandContext context, DmigHost host, WaveManifest manifest, DrillSpec? drill, CancellationToken ct, TimeSpan? timeout = null, TimeSpan? monitorInterval = null)
    {
        var start = await new WaveOperations(host.Client).StartAsync(manifest, "manifest", drill, monitorInterval, cancellationToken: ct).ConfigureAwait(false);
        if (start.Outcome == StartOutcome.Started)
        {
            StartedNotice(context, manifest, drill);
        }

        return await context.WatchToEndAsync(host, manifest.Wave, ct, timeout: timeout).ConfigureAwait(false);
    }

    private static void StartedNotice(CommandContext context, WaveManifest manifest, DrillSpec? drill) =>
        context.Output.Notice($"Wave [bold]{Markup.Escape(manifest.Wave)}[/]: {manifest.Databases.Count} database(s), {manifest.Mode.ToString().ToLowerInvariant()}, at most {manifest.MaxParallel} at a time{(drill is null ? string.Empty : $", drill {Markup.Escape(DrillText(drill))}")}.");

    /// <summary>A drill as it is typed after <c>--drill</c> (<c>users:postValidate</c>), not as the record prints it.</summary>
    private static string DrillText(DrillSpec drill) => $"{drill.Database}:{MigrationNames.StepName(drill.Step)}";

    private static async Task<int> RunAsync(CommandContext context, RunRequest request, CancellationToken ct)
    {
        var (manifestFile, drillText, noWait, timeout) = request;
        var manifest = await context.LoadManifestAsync(manifestFile, ct).ConfigureAwait(false);
        if (manifest is null)
        {
            return DmigCommandLine.BadInput;
        }

        DrillSpec? drill = null;
        if (drillText is not null && !TryParseDrill(drillText, manifest, out drill, out string? error))
        {
            return context.Output.Fail(DmigCommandLine.BadInput, "Invalid --drill", $"--drill {drillText}: {error}");
        }

        await using var host = context.CreateHost();
        var start = await new WaveOperations(host.Client).StartAsync(manifest, manifestFile.Name, drill, cancellationToken: ct).ConfigureAwait(false);
        switch (start.Outcome)
        {
            case StartOutcome.ManifestChanged:
                // The manifest given is the bad input here: the wave runs on the one it started with.
                return context.Output.Fail(DmigCommandLine.BadInput, start.Refusal!.Title, start.Refusal.Detail, start.Refusal.Errors.Select(e => (e.Path, e.Message)));
            case StartOutcome.AlreadyFinished:
                string rollbackId = MigrationNames.RollbackInstanceId(manifest.Wave);
                if (await host.Client.GetInstanceAsync(rollbackId, cancellation: ct).ConfigureAwait(false) is not null)
                {
                    // Rolled back since: the wave's own result would show databases completed that are not any more.
                    context.Output.Notice($"[yellow]Wave {Markup.Escape(manifest.Wave)} already finished and was rolled back since by {Markup.Escape(rollbackId)}; the rollback's result follows. Give the manifest a new wave id to migrate again.[/]");
                    return await context.WatchToEndAsync(host, rollbackId, ct, timeout: timeout).ConfigureAwait(false);
                }

                context.Output.Notice($"[yellow]Wave {Markup.Escape(manifest.Wave)} already finished ({Words.Of(start.Existing!.RuntimeStatus)}); its result follows. Give the manifest a new wave id to migrate again, or undo it with dmig rollback {Markup.Escape(manifest.Wave)}.[/]");
                return await context.WatchToEndAsync(host, manifest.Wave, ct, timeout: timeout).ConfigureAwait(false);
            case StartOutcome.AlreadyRunning:
                return await ResumeAsync(context, host, manifestFile, start.Existing!, drill is not null, noWait, timeout, ct).ConfigureAwait(false);
            default:
                StartedNotice(context, manifest, drill);
                // Started here, so the id exists when this command returns; a background run finds it and resumes it.
                if (noWait && context.IsRemote)
                {
                    // The task hub's workers run it; nothing to launch here.
                    context.Output.Result(() => new JsonObject { ["instanceId"] = manifest.Wave }, console => console.WriteLine(manifest.Wave));
                    context.Output.Notice($"[grey]Submitted wave {Markup.Escape(manifest.Wave)} to task hub {Markup.Escape(host.RemoteTaskHub!)}; its workers run it. Follow it with: dmig watch {Markup.Escape(manifest.Wave)} --backend azure-storage[/]");
                    return DmigCommandLine.Success;
                }

                return noWait
                    ? await LaunchAsync(context, host, manifestFile, manifest.Wave, resuming: false, ct).ConfigureAwait(false)
                    : await context.WatchToEndAsync(host, manifest.Wave, ct, timeout: timeout).ConfigureAwait(false);
        }
    }

    /// <summary>Resumes a wave in flight: here, in a background run, or not at all when a live process already runs it (then it only watches).</summary>
    private static async Task<int> ResumeAsync(CommandContext context, DmigHost host, FileInfo manifestFile, Microsoft.DurableTask.Client.OrchestrationMetadata existing, bool drill, bool noWait, TimeSpan? timeout, CancellationToken ct)
    {
        string waveId = existing.InstanceId;
        if (drill)
        {
            context.Output.Notice("[yellow]--drill applies to a new wave only; resuming without it.[/]");
        }

        // With another live process running the engine, this one only watches (WatchToEndAsync says so): nothing resumes here.
        // On a remote task hub its workers run the wave; this process only watches.
        bool runElsewhere = context.IsRemote || await context.FindRunnerAsync(ct).ConfigureAwait(false) is not null;
        if (noWait)
        {
            if (runElsewhere)
            {
                context.Output.Result(
                    () => new JsonObject { ["instanceId"] = waveId },
                    console => console.WriteLine(waveId));
                context.Output.Notice($"[grey]Wave {Markup.Escape(waveId)} is already run by a live process; no background run started. Follow it with: dmig watch {Markup.Escape(waveId)}[/]");
                return DmigCommandLine.Success;
            }

            return await LaunchAsync(context, host, manifestFile, waveId, resuming: true, ct).ConfigureAwait(false);
        }

        if (!runElsewhere)
        {
            context.Output.Notice($"Resuming wave [bold]{Markup.Escape(waveId)}[/] ({Words.Of(existing.RuntimeStatus)}) from {Markup.Escape(host.DataDirectory)}.");
            await context.WarnRestartingCopiesAsync(host, waveId, ct).ConfigureAwait(false);
        }

        return await context.WatchToEndAsync(host, waveId, ct, timeout: timeout).ConfigureAwait(false);
    }

    /// <summary>
    /// Hands the wave to a background <c>dmig run</c> (same data directory and durability, output in
    /// <c>&lt;data-dir&gt;/logs/run-&lt;wave&gt;.log</c>) and prints its instance id: nothing moves on the embedded
    /// runtime unless a process hosts it.
    /// </summary>
    private static async Task<int> LaunchAsync(CommandContext context, DmigHost host, FileInfo manifestFile, string waveId, bool resuming, CancellationToken ct)
    {
        string outputFile = Path.Combine(host.DataDirectory, "logs", $"run-{waveId}.log");
        string[] arguments = ["run", manifestFile.FullName, "--data-dir", host.DataDirectory, "--durability", context.Settings.Durability.ToString().ToLowerInvariant()];
        int processId;
        try
        {
            processId = await host.Services.GetRequiredService<IDetachedRunLauncher>().LaunchAsync(arguments, outputFile, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            return context.Output.Fail(
                DmigCommandLine.NotCompleted,
                "Background run not started",
                $"Wave '{waveId}' is saved, but its background run could not start ({ex.Message}). 'dmig run {manifestFile.FullName}' runs it in the foreground.");
        }

        context.Output.Result(
            () => new JsonObject { ["instanceId"] = waveId, ["processId"] = processId, ["outputFile"] = outputFile },
            console => console.WriteLine(waveId));
        context.Output.Notice(
            $"[grey]{(resuming ? "Resuming" : "Started")} wave {Markup.Escape(waveId)} in background process {processId} (output: {Markup.Escape(outputFile)}). Follow it with: dmig watch {Markup.Escape(waveId)}[/]");
        return DmigCommandLine.Success;
    }

    /// <summary>What <c>dmig run</c> was asked to do.</summary>
    private sealed record RunRequest(FileInfo Manifest, string? Drill, bool NoWait, TimeSpan? Timeout);

    private static bool TryParseDrill(string text, WaveManifest manifest, out DrillSpec? drill, out string? error)
    {
        drill = null;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !Enum.TryParse<MigrationStep>(text[(colon + 1)..], ignoreCase: true, out var step) || !Enum.IsDefined(step))
        {
            error = "expected <database>:<step>, step one of validate, migrate, monitor, cutover, postValidate, remediate";
            return false;
        }

        string database = text[..colon];
        if (!manifest.Databases.Any(d => string.Equals(d.Name, database, StringComparison.OrdinalIgnoreCase)))
        {
            error = $"the wave has no database '{database}'";
            return false;
        }

        drill = new DrillSpec(database, step);
        error = null;
        return true;
    }
}
