using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using DurableMigration.Application;
using DurableMigration.Migration;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig history &lt;wave&gt; [database]</c>: the orchestration history of a wave, a rollback or one database.</summary>
/// <remarks>
/// Rows carry names, task ids, timers, reasons and failures, never inputs or results: payloads belong to
/// <c>dmig status -o json</c>, and leaving them out keeps the history free of anything a connection resolves to.
/// </remarks>
internal static class HistoryCommand
{
    public static Command Create(CommonOptions options)
    {
        var waveArgument = WaveArguments.Wave(options, "The wave id (or <wave>:rollback)");
        var databaseArgument = WaveArguments.Database(options, waveArgument, "A database of the wave: its own orchestration's history");
        var history = new Command("history", "Show the orchestration history of a wave, or of one of its databases: timestamp, event, name and task id, detail.");
        history.Arguments.Add(waveArgument);
        history.Arguments.Add(databaseArgument);
        history.SetAction((parse, ct) => RunAsync(options.For(parse), parse.GetValue(waveArgument)!, parse.GetValue(databaseArgument), ct));
        return history;
    }

    private static async Task<int> RunAsync(CommandContext context, string waveId, string? database, CancellationToken ct)
    {
        await using var host = context.OpenExistingHost();
        if (host is null)
        {
            return DmigCommandLine.BadInput;
        }

        if (await host.Client.GetInstanceAsync(waveId, cancellation: ct).ConfigureAwait(false) is null)
        {
            return context.NoSuchWave(waveId);
        }

        string instanceId = database is null ? waveId : MigrationNames.DatabaseInstanceId(waveId, database);
        if (database is not null && await host.Client.GetInstanceAsync(instanceId, cancellation: ct).ConfigureAwait(false) is null)
        {
            return context.Output.Fail(
                DmigCommandLine.BadInput,
                "No such database",
                $"Wave '{waveId}' has no database orchestration '{database}' (a database has one once it starts migrating; 'dmig status {waveId}' lists them).");
        }

        var events = await host.Client.GetOrchestrationHistoryAsync(instanceId, ct).ConfigureAwait(false);
        var rows = HistoryRow.From(events);
        context.Output.Result(
            () => new JsonArray([.. rows.Select(r => (JsonNode)r.ToJson())]),
            console =>
            {
                var table = new Table().Border(TableBorder.Rounded).Title($"history of [bold]{Markup.Escape(instanceId)}[/]")
                    .AddColumn("time (UTC)").AddColumn("event").AddColumn(new TableColumn("task").RightAligned()).AddColumn("name").AddColumn("detail");
                foreach (var row in rows)
                {
                    table.AddRow(
                        row.Timestamp.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
                        Markup.Escape(row.EventType),
                        row.TaskId?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
                        Markup.Escape(row.Name ?? string.Empty),
                        Markup.Escape(Truncate(row.Detail ?? string.Empty, 90)));
                }

                console.Write(table);
            });
        return DmigCommandLine.Success;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
