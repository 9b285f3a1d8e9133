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

    private static Task<int> RunAsync(CommandContext context, string waveId, string? reason, CancellationToken ct) => WaveControl.RunAsync(
        context,
        waveId,
        "termination",
        operations => operations.TerminateAsync(waveId, reason ?? "terminated with dmig terminate", ct),
        // The wave's databases end with it; the wave itself is what must be seen terminated.
        _ => [waveId],
        instance => instance.RuntimeStatus == OrchestrationRuntimeStatus.Terminated,
        async (host, _, _) =>
        {
            var after = await host.Client.GetInstanceAsync(waveId, getInputsAndOutputs: true, ct).ConfigureAwait(false);
            context.Output.Result(
                () => WaveConsole.StatusNode(after!),
                console =>
                {
                    console.MarkupLine($"Terminated wave [bold]{Markup.Escape(waveId)}[/] and its running databases.");
                    console.MarkupLine("[yellow]Nothing was compensated: a database that was cut over stays cut over. 'dmig purge' frees the wave id.[/]");
                });
            return DmigCommandLine.Success;
        },
        ct);
}
