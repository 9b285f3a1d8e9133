using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Core = DurableTask.Core;

namespace DurableMigration.Application;

/// <summary>One history event as shown: when, what, which task, and a short detail without payloads.</summary>
/// <remarks>
/// Rows carry names, task ids, timers, reasons and failures, never inputs or results: payloads belong to the status,
/// and leaving them out keeps the history free of anything a connection resolves to.
/// </remarks>
/// <param name="Timestamp">When the event was recorded (UTC).</param>
/// <param name="EventType">The event type (<c>TaskScheduled</c>, <c>TimerFired</c>, ...).</param>
/// <param name="Name">The activity, sub-orchestration, event or <c>timer</c>; completions carry the name of what they complete.</param>
/// <param name="TaskId">The task id, for scheduled work and its completion.</param>
/// <param name="Detail">A short detail: a failure, a timer's time, a reason, the final status.</param>
public sealed record HistoryRow(DateTime Timestamp, string EventType, string? Name, int? TaskId, string? Detail)
{
    private HistoryRow(Core.History.HistoryEvent e, string? name, int? taskId, string? detail)
        : this(DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc), e.EventType.ToString(), name, taskId, detail)
    {
    }

    /// <summary>The row as <c>{"timestamp", "eventType", "name", "taskId", "detail"}</c>, absent fields left out.</summary>
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

    /// <summary>The rows of an instance's history: one per event; the runtime's turn markers (OrchestratorStarted) are left out, as Durable Functions Monitor does.</summary>
    public static IReadOnlyList<HistoryRow> From(IList<Core.History.HistoryEvent> events)
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
}
