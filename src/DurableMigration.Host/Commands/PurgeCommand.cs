using System.CommandLine;
using System.Text.Json.Nodes;
using DurableMigration.Application;
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
        await using var host = context.OpenExistingHost();
        if (host is null)
        {
            return DmigCommandLine.BadInput;
        }

        var result = await new WaveOperations(host.Client).PurgeAsync(waveId, ct).ConfigureAwait(false);
        if (result.Refusal is { } refusal)
        {
            return context.Refuse(refusal, waveId);
        }

        int purged = result.PurgedInstanceCount;
        context.Output.Result(
            () => new JsonObject { ["instanceId"] = waveId, ["purgedInstanceCount"] = purged },
            console => console.MarkupLine($"Purged wave [bold]{Markup.Escape(waveId)}[/]: {purged} instance(s) with their history. The id '{Markup.Escape(waveId)}' can be run again; the databases themselves are untouched."));
        return DmigCommandLine.Success;
    }
}
