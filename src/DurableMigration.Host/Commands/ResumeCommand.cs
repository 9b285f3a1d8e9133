using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig resume &lt;wave&gt;</c>: resume a suspended wave and its suspended databases.</summary>
internal static class ResumeCommand
{
    public static Command Create(CommonOptions options)
    {
        var waveArgument = WaveArguments.Wave(options, "The wave id (or <wave>:rollback)");
        var reason = new Option<string?>("--reason") { Description = "Why: recorded in the history" };
        var resume = new Command("resume", "Resume a suspended wave and its suspended database orchestrations.");
        resume.Arguments.Add(waveArgument);
        resume.Options.Add(reason);
        resume.SetAction((parse, ct) => RunAsync(options.For(parse), parse.GetValue(waveArgument)!, parse.GetValue(reason), ct));
        return resume;
    }

    private static Task<int> RunAsync(CommandContext context, string waveId, string? reason, CancellationToken ct) => WaveControl.RunAsync(
        context,
        waveId,
        "resumption",
        operations => operations.ResumeAsync(waveId, reason ?? "resumed with dmig resume", ct),
        result => result.Instances,
        instance => instance.RuntimeStatus != OrchestrationRuntimeStatus.Suspended,
        (host, result, applied) =>
        {
            var targets = result.Instances;
            // Resumed by this command's own runtime, which stops as it exits: the wave moves on only once a dmig run hosts it.
            string next = host.IsRemote ? $"The workers of task hub {host.RemoteTaskHub} continue it."
                : applied == AppliedBy.RunningProcess ? "The dmig process running it continues."
                : "No dmig process is running it: 'dmig run <manifest>' continues it.";
            context.Output.Result(
                () => new JsonObject { ["instanceId"] = waveId, ["runtimeStatus"] = nameof(OrchestrationRuntimeStatus.Running), ["resumed"] = new JsonArray([.. targets.Select(t => (JsonNode)t)]), ["hostedElsewhere"] = applied == AppliedBy.RunningProcess },
                console => console.MarkupLine($"Resumed [bold]{Markup.Escape(waveId)}[/] ({targets.Count} orchestration(s)). {Markup.Escape(next)}"));
            if (context.Output.IsMachine)
            {
                context.Output.Notice(Markup.Escape(next));
            }

            return Task.FromResult(DmigCommandLine.Success);
        },
        ct);
}
