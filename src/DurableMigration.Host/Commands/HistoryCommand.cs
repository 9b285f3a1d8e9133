using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableMigration.Migration;
using Spectre.Console;
using Core = DurableTask.Core;

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
        var rows = Rows(events);
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

    /// <summary>One row per event; the runtime's turn markers (OrchestratorStarted) are left out, as Durable Functions Monitor does.</summary>
    private static List<HistoryRow> Rows(IList<Core.History.HistoryEvent> events)
    {
        var names = new Dictionary<int, string>();
        var rows = new List<HistoryRow>();
        foreach (var e in events)
        {
            HistoryRow? row = e switch
            {
                Core.History.OrchestratorStartedEvent or Core.History.OrchestratorCompletedEvent => null,
                Core.History.ExecutionStartedEvent s => new(e, s.Name, null, s.ParentInstance is { } p ? $"sub-orchestration of {p.OrchestrationInstance?.InstanceId}" : null),
                Core.History.TaskScheduledEvent s => new(e, Remember(names, s.EventId, s.Name ?? "activity"), s.EventId, null),
                Core.History.TaskCompletedEvent c => new(e, names.GetValueOrDefault(c.TaskScheduledId), c.TaskScheduledId, null),
                Core.History.TaskFailedEvent f => new(e, names.GetValueOrDefault(f.TaskScheduledId), f.TaskScheduledId, Failure(f.FailureDetails, f.Reason)),
                Core.History.SubOrchestrationInstanceCreatedEvent s => new(e, Remember(names, s.EventId, s.InstanceId ?? s.Name ?? "sub-orchestration"), s.EventId, s.Name),
                Core.History.SubOrchestrationInstanceCompletedEvent c => new(e, names.GetValueOrDefault(c.TaskScheduledId), c.TaskScheduledId, null),
                Core.History.SubOrchestrationInstanceFailedEvent f => new(e, names.GetValueOrDefault(f.TaskScheduledId), f.TaskScheduledId, Failure(f.FailureDetails, f.Reason)),
                Core.History.TimerCreatedEvent t => new(e, Remember(names, t.EventId, "timer"), t.EventId, $"fires at {t.FireAt:yyyy-MM-dd HH:mm:ss}"),
                Core.History.TimerFiredEvent t => new(e, "timer", t.TimerId, $"fired for {t.FireAt:yyyy-MM-dd HH:mm:ss}"),
                Core.History.EventRaisedEvent r => new(e, r.Name, null, null),
                Core.History.EventSentEvent s => new(e, s.Name, s.EventId, $"to {s.InstanceId}"),
                Core.History.ExecutionSuspendedEvent s => new(e, null, null, s.Reason),
                Core.History.ExecutionResumedEvent r => new(e, null, null, r.Reason),
                Core.History.ExecutionTerminatedEvent t => new(e, null, null, Reason(t.Input)),
                Core.History.ExecutionCompletedEvent c => new(e, null, null, c.FailureDetails is { } f ? $"{c.OrchestrationStatus}: {Failure(f, null)}" : c.OrchestrationStatus.ToString()),
                _ => new(e, null, null, null),
            };
            if (row is not null)
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    private static string Remember(Dictionary<int, string> names, int taskId, string name)
    {
        names[taskId] = name;
        return name;
    }

    private static string? Failure(Core.FailureDetails? failure, string? reason) =>
        failure is null ? reason : $"{failure.ErrorType}: {OneLine(failure.ErrorMessage)}";

    /// <summary>A terminate reason is stored as the JSON the caller passed; show a string as text.</summary>
    private static string? Reason(string? serialized)
    {
        if (string.IsNullOrEmpty(serialized))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(serialized) is JsonValue value && value.TryGetValue(out string? text) ? text : serialized;
        }
        catch (JsonException)
        {
            return serialized;
        }
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    /// <summary>One history event as shown: when, what, which task, and a short detail without payloads.</summary>
    private sealed record HistoryRow(DateTime Timestamp, string EventType, string? Name, int? TaskId, string? Detail)
    {
        public HistoryRow(Core.History.HistoryEvent e, string? name, int? taskId, string? detail)
            : this(DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc), e.EventType.ToString(), name, taskId, detail)
        {
        }

        public JsonObject ToJson()
        {
            var json = new JsonObject
            {
                ["timestamp"] = Timestamp.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
                ["eventType"] = EventType,
            };
            if (Name is not null)
            {
                json["name"] = Name;
            }

            if (TaskId is { } id)
            {
                json["taskId"] = id;
            }

            if (Detail is not null)
            {
                json["detail"] = Detail;
            }

            return json;
        }
    }
}
