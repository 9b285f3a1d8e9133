using System.CommandLine;
using System.Text.Json.Nodes;
using DurableMigration.Application;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig approve &lt;wave&gt; [database]</c>: approve cutover of databases awaiting approval.</summary>
internal static class ApproveCommand
{
    public static Command Create(CommonOptions options)
    {
        var waveArgument = WaveArguments.Wave(options);
        var databaseArgument = WaveArguments.Database(options, waveArgument, "The database; all databases awaiting approval when omitted");
        var approve = new Command("approve", "Approve cutover of a database (or of every database awaiting approval) in a wave.");
        approve.Arguments.Add(waveArgument);
        approve.Arguments.Add(databaseArgument);
        approve.SetAction((parse, ct) => RunAsync(options.For(parse), parse.GetValue(waveArgument)!, parse.GetValue(databaseArgument), ct));
        return approve;
    }

    private static async Task<int> RunAsync(CommandContext context, string waveId, string? database, CancellationToken ct)
    {
        await using var host = context.OpenExistingHost();
        if (host is null)
        {
            return DmigCommandLine.BadInput;
        }

        var result = await new WaveOperations(host.Client).ApproveAsync(waveId, database, "cli", ct).ConfigureAwait(false);
        if (result.Refusal is { } refusal)
        {
            return context.Refuse(refusal, waveId);
        }

        var targets = result.Databases;
        context.Output.Result(
            () => new JsonObject { ["wave"] = waveId, ["approved"] = new JsonArray([.. targets.Select(t => (JsonNode)t)]) },
            console =>
            {
                foreach (string name in targets)
                {
                    console.MarkupLine($"Approved cutover of [bold]{Markup.Escape(name)}[/].");
                }
            });
        await context.WarnWhenNobodyRunsAsync(waveId, "the approval", ct).ConfigureAwait(false);
        return DmigCommandLine.Success;
    }
}
