using System.CommandLine;
using System.Text.Json.Nodes;
using DurableMigration.Host.Console;
using DurableMigration.Migration;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig retry &lt;wave&gt; &lt;database&gt;</c>: re-run a database that needs attention from its failed step.</summary>
internal static class RetryCommand
{
    public static Command Create(CommonOptions options)
    {
        var waveArgument = new Argument<string>("wave") { Description = "The wave id" };
        var databaseArgument = new Argument<string>("database") { Description = "The database that needs attention" };
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

        var view = await WaveView.LoadAsync(host.Client, waveId, ct).ConfigureAwait(false);
        if (view is null)
        {
            return context.NoSuchWave(waveId);
        }

        if (!view.Manifest.Contains(database, StringComparer.OrdinalIgnoreCase))
        {
            return context.Output.Fail(DmigCommandLine.BadInput, "No such database", $"Wave '{waveId}' has no database '{database}'; its databases: {string.Join(", ", view.Manifest)}.");
        }

        var state = view.StateOf(database);
        if (state != DatabaseState.NeedsAttention)
        {
            // A database whose compensations failed is finished by the rollback, not by retrying its migration.
            string hint = state == DatabaseState.Failed
                ? $" Its rollback did not finish: fix the cause the summary names, then run {MigrationNames.RetryRollbackCommand(waveId)}."
                : string.Empty;
            return context.Output.Fail(DmigCommandLine.NotCompleted, "Does not need attention", $"Database '{database}' does not need attention (it is {WaveConsole.Display(state)}).{hint}");
        }

        await host.Client.RaiseEventAsync(MigrationNames.DatabaseInstanceId(waveId, database), MigrationNames.RetryEvent, "cli", ct).ConfigureAwait(false);
        context.Output.Result(
            () => new JsonObject { ["wave"] = waveId, ["retried"] = database },
            console => console.MarkupLine($"Retrying [bold]{Markup.Escape(database)}[/] from its failed step."));
        await context.WarnWhenNobodyRunsAsync(waveId, "the retry", ct).ConfigureAwait(false);
        return DmigCommandLine.Success;
    }
}
