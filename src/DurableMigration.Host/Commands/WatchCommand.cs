using System.CommandLine;
using DurableMigration.Migration;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig watch &lt;wave&gt;</c>: follow a wave live until it ends, read-only, and exit with its outcome's code.</summary>
/// <remarks>
/// Watch never hosts the runtime: the process that runs the wave (<c>dmig run</c>, or the background one of
/// <c>dmig run --no-wait</c>) does, and a second runtime on the same wave from a command meant to look would surprise.
/// A wave that no process runs does not move while watched; <c>dmig run &lt;manifest&gt;</c> resumes it.
/// </remarks>
internal static class WatchCommand
{
    public static Command Create(CommonOptions options)
    {
        var waveArgument = WaveArguments.Wave(options, "The wave id (or <wave>:rollback)");
        var timeout = Durations.Option("--timeout", "Stop watching after this long (30s, 10m, 2h, or 00:10:00) and exit 3");
        var watch = new Command(
            "watch",
            "Watch a wave live until it ends, read-only (it does not run the wave: 'dmig run' does); exit code as run's: 0 completed, 1 failed or rolled back, 3 still going at --timeout.");
        watch.Arguments.Add(waveArgument);
        watch.Options.Add(timeout);
        watch.SetAction((parse, ct) => RunAsync(options.For(parse), parse.GetValue(waveArgument)!, parse.GetValue(timeout), ct));
        return watch;
    }

    private static async Task<int> RunAsync(CommandContext context, string waveId, TimeSpan? timeout, CancellationToken ct)
    {
        var (opened, exitCode) = await context.OpenWaveAsync(waveId, getInputsAndOutputs: false, ct).ConfigureAwait(false);
        if (opened is null)
        {
            return exitCode;
        }

        await using var host = opened.Host;
        var wave = opened.Wave;

        if (!wave.IsCompleted)
        {
            string mover = host.IsRemote ? $"the workers of task hub {host.RemoteTaskHub} move" : "the dmig run that hosts it moves";
            context.Output.Notice($"[grey]Watching {Markup.Escape(waveId)} read-only: {Markup.Escape(mover)} it on. Ctrl+C stops watching, not the wave.[/]");
        }

        var success = wave.Name == MigrationNames.WaveRollbackOrchestration ? WaveOutcome.RolledBack : WaveOutcome.Completed;
        return await context.WatchAsync(host, waveId, hostRuntime: false, timeout, success, ct).ConfigureAwait(false);
    }
}
