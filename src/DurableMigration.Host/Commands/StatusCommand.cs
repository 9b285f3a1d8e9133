using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using DurableMigration.Application;
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
        var waveArgument = WaveArguments.OptionalWave(options, "The wave id; lists all waves when omitted");
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

    /// <summary>The <c>runner</c> property on a remote task hub: its workers run every unfinished wave.</summary>
    private static JsonObject RemoteRunnerNode(string taskHub) => new() { ["taskHub"] = taskHub, ["runBy"] = "workers" };

    private static async Task<int> RunAsync(CommandContext context, string? waveId, CancellationToken ct)
    {
        await using var host = context.OpenExistingHost();
        if (host is null)
        {
            return DmigCommandLine.BadInput;
        }

        if (waveId is null)
        {
            // The SDK's query has no name filter: list every instance without payloads, keep the waves and their rollbacks, then read each in full.
            var waves = new List<OrchestrationMetadata>();
            var rollbacks = new Dictionary<string, OrchestrationMetadata>(StringComparer.Ordinal);
            await foreach (var instance in host.Client.GetAllInstancesAsync(new OrchestrationQuery()).WithCancellation(ct).ConfigureAwait(false))
            {
                if (instance.Name is MigrationNames.WaveOrchestration or MigrationNames.WaveRollbackOrchestration
                    && await host.Client.GetInstanceAsync(instance.InstanceId, getInputsAndOutputs: true, ct).ConfigureAwait(false) is { } found)
                {
                    if (found.Name == MigrationNames.WaveOrchestration)
                    {
                        waves.Add(found);
                    }
                    else
                    {
                        rollbacks[found.InstanceId] = found;
                    }
                }
            }

            var engineRunner = waves.Any(w => !w.IsCompleted) ? await context.FindRunnerAsync(ct).ConfigureAwait(false) : null;

            // Each wave, followed by its rollback: a wave rolled back after it finished shows the rollback's outcome.
            var rows = new List<(OrchestrationMetadata Instance, OrchestrationMetadata? Rollback)>();
            foreach (var wave in waves)
            {
                rollbacks.Remove(MigrationNames.RollbackInstanceId(wave.InstanceId), out var rollback);
                rows.Add((wave, rollback));
                if (rollback is not null)
                {
                    rows.Add((rollback, null));
                }
            }

            rows.AddRange(rollbacks.Values.Select(r => (r, (OrchestrationMetadata?)null)));
            context.Output.Result(
                () => new JsonArray([.. rows.Select(r =>
                {
                    var node = StatusNode(r.Instance, r.Rollback);
                    node["runner"] = r.Instance.IsCompleted ? null : host.IsRemote ? RemoteRunnerNode(host.RemoteTaskHub!) : RunnerNode(engineRunner);
                    return (JsonNode)node;
                })]),
                console =>
                {
                    var table = new Table().Border(TableBorder.Rounded).AddColumn("wave").AddColumn("ticket").AddColumn("status").AddColumn("outcome").AddColumn("rolled back by").AddColumn("created (UTC)").AddColumn("updated (UTC)");
                    foreach (var (instance, rollback) in rows)
                    {
                        table.AddRow(
                            Markup.Escape(instance.InstanceId),
                            Markup.Escape(WaveView.TicketOf(instance)?.Id ?? "-"),
                            Words.Of(instance.RuntimeStatus),
                            Markup.Escape(Words.Of(Outcome(rollback ?? instance))),
                            Markup.Escape(rollback?.InstanceId ?? "-"),
                            $"{instance.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}",
                            $"{instance.LastUpdatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}");
                    }

                    console.Write(table);
                    if (host.IsRemote)
                    {
                        console.MarkupLine($"The unfinished waves are run by the workers of task hub {Markup.Escape(host.RemoteTaskHub!)}.");
                    }
                    else if (engineRunner is not null)
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

        if (await new WaveOperations(host.Client).GetWaveAsync(waveId, cancellationToken: ct).ConfigureAwait(false) is not { View: var view })
        {
            return context.NoSuchWave(waveId);
        }

        // Only an unfinished wave is run by anyone; any process hosting the engine runs every in-flight wave.
        var runner = view.Wave.IsCompleted ? null : await context.FindRunnerAsync(ct).ConfigureAwait(false);
        context.Output.Result(
            () =>
            {
                var node = StatusNode(view.Wave, view.Rollback?.Wave);
                node["runner"] = view.Wave.IsCompleted ? null : host.IsRemote ? RemoteRunnerNode(host.RemoteTaskHub!) : RunnerNode(runner);
                return node;
            },
            console =>
            {
                console.Write(WaveConsole.LiveTable(view));
                if (view.Rollback is { } rollback)
                {
                    console.MarkupLine($"Wave [bold]{Markup.Escape(view.Wave.InstanceId)}[/] ended {Markup.Escape(Words.Of(Outcome(view.Wave)))}, then was rolled back by [bold]{Markup.Escape(rollback.Wave.InstanceId)}[/] ({Markup.Escape(Words.Of(Outcome(rollback.Wave)))}); the rollback's summary:");
                    context.Ui.WriteSummary(rollback);
                }
                else if (view.Wave.IsCompleted)
                {
                    context.Ui.WriteSummary(view);
                }
                else if (host.IsRemote)
                {
                    console.MarkupLine($"Run by the workers of task hub {Markup.Escape(host.RemoteTaskHub!)} ('dmig worker --backend azure-storage'); none running leaves it waiting.");
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

    /// <summary>Durable Functions' status object; a wave rolled back after it finished carries its rollback's under <c>rollback</c>.</summary>
    private static JsonObject StatusNode(OrchestrationMetadata instance, OrchestrationMetadata? rollback) => WaveJson.StatusNode(instance, rollback);

    /// <summary>How a wave (or a rollback) ended, or its phase while it runs.</summary>
    /// <remarks>Only a completed orchestration's output is a <see cref="WaveResult"/>: a terminated one's is the reason it
    /// was terminated (a string), and a failed one has none; those are told by their runtime status.</remarks>
    internal static string Outcome(OrchestrationMetadata instance) => instance.RuntimeStatus switch
    {
        OrchestrationRuntimeStatus.Completed => instance.ReadOutputAs<WaveResult>()?.Outcome.ToString() ?? instance.RuntimeStatus.ToString(),
        _ when instance.IsCompleted => instance.RuntimeStatus.ToString(),
        _ => instance.ReadCustomStatusAs<WaveStatus>()?.Phase ?? instance.RuntimeStatus.ToString(),
    };
}
