using System.CommandLine;
using DurableMigration.Host.Console;
using DurableMigration.Migration;
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

    private static Task<int> RunAsync(CommandContext context, string waveId, string? reason, CancellationToken ct)
    {
        // The databases running when the wave is terminated: the recursive terminate sends each its own termination.
        IReadOnlyList<string> databases = [];
        return WaveControl.RunAsync(
            context,
            waveId,
            "termination",
            async operations =>
            {
                databases = await LiveDatabasesAsync(operations.Client, waveId, ct).ConfigureAwait(false);
                return await operations.TerminateAsync(waveId, reason ?? "terminated with dmig terminate", ct).ConfigureAwait(false);
            },
            // The wave and each of those databases must be seen terminated: a dmig run hosting the wave stops once the
            // wave ends and may leave its databases' terminations queued, running (and unpurgeable) until a runtime
            // next hosts them; waiting for them makes this command host the runtime until they are applied.
            _ => [waveId, .. databases],
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

    /// <summary>The wave's database orchestrations (<c>&lt;wave&gt;:&lt;db&gt;</c>) that have not ended.</summary>
    private static async Task<IReadOnlyList<string>> LiveDatabasesAsync(DurableTaskClient client, string waveId, CancellationToken ct)
    {
        var live = new List<string>();
        var query = new OrchestrationQuery { InstanceIdPrefix = waveId + ":" };
        await foreach (var instance in client.GetAllInstancesAsync(query).WithCancellation(ct).ConfigureAwait(false))
        {
            if (instance.Name == MigrationNames.DatabaseMigrationOrchestration && !instance.IsCompleted)
            {
                live.Add(instance.InstanceId);
            }
        }

        return live;
    }
}
