using System.CommandLine;
using System.Text.Json.Nodes;
using DurableMigration.Host.Console;
using DurableMigration.Migration;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig approve &lt;wave&gt; [database]</c>: approve cutover of databases awaiting approval.</summary>
internal static class ApproveCommand
{
    public static Command Create(CommonOptions options)
    {
        var waveArgument = new Argument<string>("wave") { Description = "The wave id" };
        var databaseArgument = new Argument<string?>("database") { Description = "The database; all databases awaiting approval when omitted", Arity = ArgumentArity.ZeroOrOne };
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

        var view = await WaveView.LoadAsync(host.Client, waveId, ct).ConfigureAwait(false);
        if (view is null)
        {
            return context.NoSuchWave(waveId);
        }

        if (database is not null && !view.Manifest.Contains(database, StringComparer.OrdinalIgnoreCase))
        {
            return context.Output.Fail(DmigCommandLine.BadInput, "No such database", $"Wave '{waveId}' has no database '{database}'; its databases: {string.Join(", ", view.Manifest)}.");
        }

        if (view.Wave.IsCompleted)
        {
            return context.Output.Fail(DmigCommandLine.NotCompleted, "Wave finished", $"Wave '{waveId}' already finished ({Words.Of(view.Wave.RuntimeStatus)}); there is nothing to approve.");
        }

        var waiting = view.DatabaseNames.Where(n => view.StateOf(n) == DatabaseState.AwaitingApproval).ToList();
        var targets = database is null ? waiting : waiting.Where(n => string.Equals(n, database, StringComparison.OrdinalIgnoreCase)).ToList();
        if (targets.Count == 0)
        {
            return context.Output.Fail(
                DmigCommandLine.NotCompleted,
                "Not awaiting approval",
                database is null
                    ? $"No database of wave '{waveId}' is awaiting approval."
                    : $"Database '{database}' of wave '{waveId}' is not awaiting approval (it is {WaveConsole.Display(view.StateOf(database))}).");
        }

        foreach (string name in targets)
        {
            await host.Client.RaiseEventAsync(MigrationNames.DatabaseInstanceId(waveId, name), MigrationNames.ApproveCutoverEvent, "cli", ct).ConfigureAwait(false);
        }

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
