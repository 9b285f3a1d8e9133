using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using DurableMigration.Host.Console;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig status [wave]</c>: one wave's databases, or every wave of the data directory.</summary>
internal static class StatusCommand
{
    public static Command Create(CommonOptions options)
    {
        var waveArgument = new Argument<string?>("wave") { Description = "The wave id; lists all waves when omitted", Arity = ArgumentArity.ZeroOrOne };
        var status = new Command("status", "Show one wave's databases, or list all waves.");
        status.Arguments.Add(waveArgument);
        status.SetAction((parse, ct) => RunAsync(options.For(parse), parse.GetValue(waveArgument), ct));
        return status;
    }

    /// <summary>The <c>runner</c> property of a wave's status JSON: the live process running it, or <c>null</c>.</summary>
    private static JsonObject? RunnerNode(EngineRunner? runner) => runner is null ? null : new JsonObject
    {
        ["pid"] = runner.Pid,
        ["host"] = runner.Host,
        ["since"] = runner.Since.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["command"] = runner.Command,
    };

    private static async Task<int> RunAsync(CommandContext context, string? waveId, CancellationToken ct)
    {
        await using var host = context.OpenExistingHost();
        if (host is null)
        {
            return DmigCommandLine.BadInput;
        }

        if (waveId is null)
        {
            // The SDK's query has no name filter: list every instance without payloads, keep the waves, then read each wave in full.
            var waves = new List<OrchestrationMetadata>();
            await foreach (var instance in host.Client.GetAllInstancesAsync(new OrchestrationQuery()).WithCancellation(ct).ConfigureAwait(false))
            {
                if (instance.Name == MigrationNames.WaveOrchestration
                    && await host.Client.GetInstanceAsync(instance.InstanceId, getInputsAndOutputs: true, ct).ConfigureAwait(false) is { } wave)
                {
                    waves.Add(wave);
                }
            }

            var engineRunner = waves.Any(w => !w.IsCompleted) ? await context.FindRunnerAsync(ct).ConfigureAwait(false) : null;
            context.Output.Result(
                () => new JsonArray([.. waves.Select(w =>
                {
                    var node = WaveConsole.StatusNode(w);
                    node["runner"] = w.IsCompleted ? null : RunnerNode(engineRunner);
                    return (JsonNode)node;
                })]),
                console =>
                {
                    var table = new Table().Border(TableBorder.Rounded).AddColumn("wave").AddColumn("status").AddColumn("outcome").AddColumn("created (UTC)").AddColumn("updated (UTC)");
                    foreach (var wave in waves)
                    {
                        string outcome = wave.ReadOutputAs<WaveResult>()?.Outcome.ToString() ?? wave.ReadCustomStatusAs<WaveStatus>()?.Phase ?? "-";
                        table.AddRow(Markup.Escape(wave.InstanceId), Words.Of(wave.RuntimeStatus), Markup.Escape(Words.Of(outcome)), $"{wave.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}", $"{wave.LastUpdatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}");
                    }

                    console.Write(table);
                    if (engineRunner is not null)
                    {
                        console.MarkupLine($"The unfinished waves are run by {Markup.Escape(engineRunner.Description)}.");
                    }
                    else if (waves.Any(w => !w.IsCompleted))
                    {
                        console.MarkupLine("[yellow]No process is running the unfinished waves; `dmig run <manifest>` of any of them (or `dmig demo`) resumes them all.[/]");
                    }
                });
            return DmigCommandLine.Success;
        }

        var view = await WaveView.LoadAsync(host.Client, waveId, ct).ConfigureAwait(false);
        if (view is null)
        {
            return context.NoSuchWave(waveId);
        }

        // Only an unfinished wave is run by anyone; any process hosting the engine runs every in-flight wave.
        var runner = view.Wave.IsCompleted ? null : await context.FindRunnerAsync(ct).ConfigureAwait(false);
        context.Output.Result(
            () =>
            {
                var node = WaveConsole.StatusNode(view.Wave);
                node["runner"] = RunnerNode(runner);
                return node;
            },
            console =>
            {
                console.Write(WaveConsole.LiveTable(view));
                if (view.Wave.IsCompleted)
                {
                    context.Ui.WriteSummary(view);
                }
                else if (runner is not null)
                {
                    console.MarkupLine($"Run by {Markup.Escape(runner.Description)}.");
                }
                else
                {
                    console.MarkupLine($"[yellow]No process is running this wave; {Markup.Escape(CommandContext.ResumeCommand(waveId))} resumes it.[/]");
                }
            });
        return DmigCommandLine.Success;
    }
}
