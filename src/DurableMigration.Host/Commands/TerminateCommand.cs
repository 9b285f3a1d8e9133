using System.CommandLine;
using DurableMigration.Host.Console;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig terminate &lt;wave&gt; [--reason]</c>: stop a wave and its database orchestrations at once, without compensating.</summary>
internal static class TerminateCommand
{
    public static Command Create(CommonOptions options)
    {
        var waveArgument = WaveArguments.Wave(options, "The wave id (or <wave>:rollback)");
        var reason = new Option<string?>("--reason") { Description = "Why: recorded in the history and shown by 'dmig history'" };
        var terminate = new Command(
            "terminate",
            "Terminate a running or suspended wave and its database orchestrations. Nothing is compensated: to undo a wave, use 'dmig rollback' instead.");
        terminate.Arguments.Add(waveArgument);
        terminate.Options.Add(reason);
        terminate.SetAction((parse, ct) => RunAsync(options.For(parse), parse.GetValue(waveArgument)!, parse.GetValue(reason), ct));
        return terminate;
    }

    private static async Task<int> RunAsync(CommandContext context, string waveId, string? reason, CancellationToken ct)
    {
        var (opened, exitCode) = await context.OpenWaveAsync(waveId, getInputsAndOutputs: false, ct).ConfigureAwait(false);
        if (opened is null)
        {
            return exitCode;
        }

        await using var host = opened.Host;
        var wave = opened.Wave;

        if (wave.IsCompleted)
        {
            return context.Output.Fail(DmigCommandLine.NotCompleted, "Wave finished", $"Wave '{waveId}' already finished ({wave.RuntimeStatus}); there is nothing to terminate.");
        }

        // Recursive, as Durable Functions' terminate is not by default: a database left running would go on to cut over.
        await host.Client.TerminateInstanceAsync(waveId, new TerminateInstanceOptions(reason ?? "terminated with dmig terminate", Recursive: true), ct).ConfigureAwait(false);
        var applied = await WaveControl.AwaitAppliedAsync(host, [waveId], i => i.RuntimeStatus == OrchestrationRuntimeStatus.Terminated, ct).ConfigureAwait(false);
        if (applied == AppliedBy.Nobody)
        {
            return context.Output.Fail(DmigCommandLine.NotCompleted, "Not applied yet", WaveControl.NotAppliedYet("termination", waveId));
        }

        var after = await host.Client.GetInstanceAsync(waveId, getInputsAndOutputs: true, ct).ConfigureAwait(false);
        context.Output.Result(
            () => WaveConsole.StatusNode(after!),
            console =>
            {
                console.MarkupLine($"Terminated wave [bold]{Markup.Escape(waveId)}[/] and its running databases.");
                console.MarkupLine("[yellow]Nothing was compensated: a database that was cut over stays cut over. 'dmig purge' frees the wave id.[/]");
            });
        return DmigCommandLine.Success;
    }
}
