using System.CommandLine;
using System.Text.Json.Nodes;
using DurableMigration.Application;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig retry &lt;wave&gt; &lt;database&gt;</c>: re-run a database that needs attention from its failed step.</summary>
internal static class RetryCommand
{
    public static Command Create(CommonOptions options)
    {
        var waveArgument = WaveArguments.Wave(options);
        var databaseArgument = WaveArguments.Database(options, waveArgument, "The database that needs attention", required: true);
        var retry = new Command("retry", "Re-run a database that needs attention from its failed step.");
        retry.Arguments.Add(waveArgument);
        retry.Arguments.Add(databaseArgument);
        retry.SetAction((parse, ct) => RunAsync(options.For(parse), parse.GetValue(waveArgument)!, parse.GetValue(databaseArgument)!, ct));
        return retry;
    }

    private static async Task<int> RunAsync(CommandContext context, string waveId, string database, CancellationToken ct)
    {
        await using var host = context.OpenExistingHost();
        if (host is null)
        {
            return DmigCommandLine.BadInput;
        }

        var result = await new WaveOperations(host.Client).RetryAsync(waveId, database, "cli", ct).ConfigureAwait(false);
        if (result.Refusal is { } refusal)
        {
            return context.Refuse(refusal, waveId);
        }

        context.Output.Result(
            () => new JsonObject { ["wave"] = waveId, ["retried"] = database },
            console => console.MarkupLine($"Retrying [bold]{Markup.Escape(database)}[/] from its failed step."));
        await context.WarnWhenNobodyRunsAsync(waveId, "the retry", ct).ConfigureAwait(false);
        return DmigCommandLine.Success;
    }
}
