using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;

namespace DurableMigration.Application;

/// <summary>The JSON every host writes: the data converter's options, Durable Functions' status object and management payload.</summary>
public static class WaveJson
{
    /// <summary>The options of <see cref="DataConverter"/>, for output in the same shape (declared first: static fields initialize in order).</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// The converter of inputs, outputs, events and custom status: camelCase, enums as strings, nulls left out, so a
    /// wave's status has the shape Durable Functions' isolated worker gives it (the SDK's default would write PascalCase
    /// and enums as numbers). Every client over the same task hub must use it.
    /// </summary>
    public static readonly JsonDataConverter DataConverter = new(Options);

    /// <summary>The instance in Durable Functions' status JSON shape.</summary>
    public static JsonObject StatusNode(OrchestrationMetadata instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var json = new JsonObject
        {
            ["name"] = instance.Name,
            ["instanceId"] = instance.InstanceId,
            ["runtimeStatus"] = instance.RuntimeStatus.ToString(),
            ["input"] = Parse(instance.SerializedInput),
            ["customStatus"] = Parse(instance.SerializedCustomStatus),
            ["output"] = Parse(instance.SerializedOutput),
            ["createdTime"] = Time(instance.CreatedAt),
            ["lastUpdatedTime"] = Time(instance.LastUpdatedAt),
        };
        if (instance.FailureDetails is { } failure)
        {
            json["failureDetails"] = new JsonObject { ["errorType"] = failure.ErrorType, ["errorMessage"] = failure.ErrorMessage };
        }

        return json;
    }

    /// <summary>
    /// A wave's status object: a wave rolled back after it finished carries its rollback's under <c>rollback</c>, and
    /// <paramref name="history"/> (when asked for) goes under <c>historyEvents</c>, as Durable Functions' <c>showHistory</c>.
    /// </summary>
    public static JsonObject StatusNode(OrchestrationMetadata instance, OrchestrationMetadata? rollback, IReadOnlyList<HistoryRow>? history = null)
    {
        var node = StatusNode(instance);
        if (rollback is not null)
        {
            node["rollback"] = StatusNode(rollback);
        }

        if (history is not null)
        {
            node["historyEvents"] = new JsonArray([.. history.Select(r => (JsonNode)r.ToJson())]);
        }

        return node;
    }

    /// <summary>
    /// A database of a wave as <c>GET /api/waves/{id}/databases</c> lists it: <c>database</c>, <c>instanceId</c>,
    /// <c>runtimeStatus</c>, <c>customStatus</c> (its live status), <c>output</c> (its result), <c>createdTime</c>,
    /// <c>lastUpdatedTime</c> and <c>failureDetails</c>; not its input (the manifest's entry, already in the wave's).
    /// </summary>
    public static JsonObject DatabaseNode(DatabaseEntry database)
    {
        ArgumentNullException.ThrowIfNull(database);
        // The instance's status object without what every database shares (its name) or does not need here (its input).
        var json = StatusNode(database.Instance);
        json.Remove("name");
        json.Remove("input");
        json.Insert(0, "database", database.Database);
        return json;
    }

    /// <summary>A database's timeline: <c>database</c>, <c>instanceId</c>, <c>runtimeStatus</c> and <c>spans</c> (<c>step</c>, <c>start</c>, <c>end</c>, <c>outcome</c>, <c>tasks</c>, <c>detail</c>), times to the millisecond.</summary>
    public static JsonObject TimelineNode(DatabaseTimeline timeline)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        return new JsonObject
        {
            ["database"] = timeline.Database,
            ["instanceId"] = timeline.InstanceId,
            ["runtimeStatus"] = timeline.RuntimeStatus.ToString(),
            ["spans"] = new JsonArray([.. timeline.Spans.Select(s => (JsonNode)new JsonObject
            {
                ["step"] = s.Step,
                ["start"] = PreciseTime(s.Start),
                ["end"] = s.End is { } end ? PreciseTime(end) : null,
                ["outcome"] = s.Outcome,
                ["tasks"] = s.Tasks,
                ["detail"] = s.Detail,
            })]),
        };
    }

    /// <summary>
    /// Durable Functions' management payload (<c>HttpManagementPayload</c>) for <paramref name="instanceId"/>, with URIs
    /// under <paramref name="baseUri"/> (<c>https://host/api/waves</c>). Unlike Durable Functions, the URIs carry no
    /// <c>code</c>: a key never appears in a response.
    /// </summary>
    public static JsonObject ManagementPayload(string baseUri, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        string wave = $"{baseUri.TrimEnd('/')}/{Uri.EscapeDataString(instanceId)}";
        return new JsonObject
        {
            ["id"] = instanceId,
            ["statusQueryGetUri"] = wave,
            ["sendEventPostUri"] = wave + "/raiseEvent/{eventName}",
            ["terminatePostUri"] = wave + "/terminate?reason={text}",
            ["purgeHistoryDeleteUri"] = wave,
            ["suspendPostUri"] = wave + "/suspend?reason={text}",
            ["resumePostUri"] = wave + "/resume?reason={text}",
        };
    }

    /// <summary>A time as Durable Functions writes it: UTC to the second, <c>2018-02-28T05:18:49Z</c>.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string PreciseTime(DateTime time) => DateTime.SpecifyKind(time, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static JsonNode? Parse(string? json) => json is null ? null : JsonNode.Parse(json);
}
