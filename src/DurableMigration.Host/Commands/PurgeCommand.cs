using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig purge &lt;wave&gt;</c>: delete a finished wave's instances and history (its databases' and its rollback's too), so its id can be used again.</summary>
internal static class PurgeCommand
{
    public static Command Create(CommonOptions options)
    {
        var waveArgument = WaveArguments.Wave(options);
        var purge = new Command(
            "purge",
            "Delete a finished wave from the task hub: the wave, its database orchestrations and its rollback, with their history. The wave id can then be run again. Refuses a wave that is still running.");
        purge.Arguments.Add(waveArgument);
        purge.SetAction((parse, ct) => RunAsync(options.For(parse), parse.GetValue(waveArgument)!, ct));
        return purge;
    }

    private static async Task<int> RunAsync(CommandContext context, string waveId, CancellationToken ct)
    {
        var (opened, exitCode) = await context.OpenWaveAsync(waveId, getInputsAndOutputs: false, ct).ConfigureAwait(false);
        if (opened is null)
        {
            return exitCode;
        }

        await using var host = opened.Host;
        var wave = opened.Wave;

        // Everything named <wave>:… belongs to the wave: its databases, its rollback and the rollback's own children.
        var related = new List<OrchestrationMetadata>();
        await foreach (var instance in host.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = waveId + ":" }).WithCancellation(ct).ConfigureAwait(false))
        {
            related.Add(instance);
        }

        if ((wave.IsCompleted ? related.FirstOrDefault(i => !i.IsCompleted) : wave) is { } live)
        {
            return context.Output.Fail(
                DmigCommandLine.NotCompleted,
                "Still running",
                $"'{live.InstanceId}' is {live.RuntimeStatus}: a running wave cannot be purged. Wait for it to end, roll it back with 'dmig rollback {waveId}', or stop it with 'dmig terminate {live.InstanceId}', then purge.");
        }

        int purged = (await host.Client.PurgeInstanceAsync(waveId, new PurgeInstanceOptions(Recursive: true), ct).ConfigureAwait(false)).PurgedInstanceCount;
        foreach (var instance in related)
        {
            // Most went with the wave (they are its sub-orchestrations); the rollback and its children are separate trees.
            purged += (await host.Client.PurgeInstanceAsync(instance.InstanceId, new PurgeInstanceOptions(Recursive: true), ct).ConfigureAwait(false)).PurgedInstanceCount;
        }

        context.Output.Result(
            () => new JsonObject { ["instanceId"] = waveId, ["purgedInstanceCount"] = purged },
            console => console.MarkupLine($"Purged wave [bold]{Markup.Escape(waveId)}[/]: {purged} instance(s) with their history. The id '{Markup.Escape(waveId)}' can be run again; the databases themselves are untouched."));
        return DmigCommandLine.Success;
    }
}
