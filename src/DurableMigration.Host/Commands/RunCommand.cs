using System.CommandLine;
using DurableMigration.Host.Console;
using DurableMigration.Host.Hosting;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig run &lt;manifest&gt;</c>: start a wave, or resume it, and show it to its end.</summary>
internal static class RunCommand
{
    public static Command Create(CommonOptions options)
    {
        var manifestArgument = new Argument<FileInfo>("manifest") { Description = "The wave manifest (JSON or YAML)" };
        var drill = new Option<string?>("--drill") { Description = "Rehearse rollback: fail <database>:<step> (validate, migrate, monitor, cutover, postValidate, remediate)" };
        var run = new Command("run", "Run a wave to its end with live progress; resumes a wave that is still in flight.");
        run.Arguments.Add(manifestArgument);
        run.Options.Add(drill);
        run.SetAction((parse, ct) => RunAsync(options.For(parse), parse.GetValue(manifestArgument)!, parse.GetValue(drill), ct));
        return run;
    }

    /// <summary>Starts <paramref name="manifest"/>'s wave and shows it to its end.</summary>
    public static async Task<int> StartAndWatchAsync(CommandContext context, DmigHost host, WaveManifest manifest, DrillSpec? drill, CancellationToken ct, TimeSpan? monitorInterval = null)
    {
        await host.Client.ScheduleNewOrchestrationInstanceAsync(
            MigrationNames.WaveOrchestration,
            new WaveInput(manifest, drill, monitorInterval),
            new StartOrchestrationOptions(manifest.Wave),
            ct).ConfigureAwait(false);
        context.Output.Notice($"Wave [bold]{Markup.Escape(manifest.Wave)}[/]: {manifest.Databases.Count} database(s), {manifest.Mode.ToString().ToLowerInvariant()}, at most {manifest.MaxParallel} at a time{(drill is null ? string.Empty : $", drill {Markup.Escape(drill.ToString())}")}.");
        return await context.WatchToEndAsync(host, manifest.Wave, ct).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(CommandContext context, FileInfo manifestFile, string? drillText, CancellationToken ct)
    {
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
        var existing = await host.Client.GetInstanceAsync(manifest.Wave, getInputsAndOutputs: true, ct).ConfigureAwait(false);
        if (existing?.ReadInputAs<WaveInput>()?.Manifest is { } started
            && ManifestDifference.Between(started, manifest) is { Count: > 0 } differences)
        {
            // The wave runs on the manifest it started with; a silently ignored edit would look applied.
            return context.Output.Fail(
                DmigCommandLine.BadInput,
                "Manifest changed",
                $"{manifestFile.Name} differs from the manifest wave {manifest.Wave} started with ({differences.Count} difference(s)); a wave keeps its manifest. Undo the change to resume the wave, or give the manifest a new wave id to start another.",
                differences);
        }

        if (existing is { IsCompleted: true })
        {
            context.Output.Notice($"[yellow]Wave {Markup.Escape(manifest.Wave)} already finished ({Words.Of(existing.RuntimeStatus)}); its result follows. Give the manifest a new wave id to migrate again, or undo it with dmig rollback {Markup.Escape(manifest.Wave)}.[/]");
            return await context.WatchToEndAsync(host, manifest.Wave, ct).ConfigureAwait(false);
        }

        if (existing is not null)
        {
            if (drill is not null)
            {
                context.Output.Notice("[yellow]--drill applies to a new wave only; resuming without it.[/]");
            }

            // With another live process running the engine, this one only watches (WatchToEndAsync says so): nothing resumes here.
            if (await context.FindRunnerAsync(ct).ConfigureAwait(false) is null)
            {
                context.Output.Notice($"Resuming wave [bold]{Markup.Escape(manifest.Wave)}[/] ({Words.Of(existing.RuntimeStatus)}) from {Markup.Escape(host.DataDirectory)}.");
                await context.WarnRestartingCopiesAsync(host, manifest.Wave, ct).ConfigureAwait(false);
            }

            return await context.WatchToEndAsync(host, manifest.Wave, ct).ConfigureAwait(false);
        }

        return await StartAndWatchAsync(context, host, manifest, drill, ct).ConfigureAwait(false);
    }

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
