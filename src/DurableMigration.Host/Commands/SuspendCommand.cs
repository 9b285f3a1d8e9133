using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig suspend &lt;wave&gt;</c>: pause a wave and its running databases at their next step; <c>dmig resume</c> continues them.</summary>
internal static class SuspendCommand
{
    public static Command Create(CommonOptions options)
    {
        var waveArgument = WaveArguments.Wave(options, "The wave id (or <wave>:rollback)");
        var reason = new Option<string?>("--reason") { Description = "Why: recorded in the history" };
        var suspend = new Command("suspend", "Suspend a running wave and its database orchestrations: work in flight finishes, nothing new starts until 'dmig resume'.");
        suspend.Arguments.Add(waveArgument);
        suspend.Options.Add(reason);
        suspend.SetAction((parse, ct) => RunAsync(options.For(parse), parse.GetValue(waveArgument)!, parse.GetValue(reason), ct));
        return suspend;
    }

    private static Task<int> RunAsync(CommandContext context, string waveId, string? reason, CancellationToken ct) => WaveControl.RunAsync(
        context,
        waveId,
        "suspension",
        operations => operations.SuspendAsync(waveId, reason ?? "suspended with dmig suspend", ct),
        result => result.Instances,
        instance => instance.RuntimeStatus == OrchestrationRuntimeStatus.Suspended,
        (_, result, _) =>
        {
            var targets = result.Instances;
            context.Output.Result(
                () => new JsonObject { ["instanceId"] = waveId, ["runtimeStatus"] = nameof(OrchestrationRuntimeStatus.Suspended), ["suspended"] = new JsonArray([.. targets.Select(t => (JsonNode)t)]) },
                console => console.MarkupLine($"Suspended wave [bold]{Markup.Escape(waveId)}[/] and {targets.Count - 1} database orchestration(s). 'dmig resume {Markup.Escape(waveId)}' continues it."));
            return Task.FromResult(DmigCommandLine.Success);
        },
        ct);
}
