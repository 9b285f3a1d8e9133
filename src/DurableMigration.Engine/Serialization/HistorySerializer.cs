using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using DurableMigration.Engine.History;
using Microsoft.DurableTask;

namespace DurableMigration.Engine.Serialization;

/// <summary>Stores history events and failure details as JSON in the task hub (payloads inside are already serialized by the host's <see cref="DataConverter"/>).</summary>
/// <remarks>The JSON is stored, never embedded in HTML, so it is written with minimal escaping: a payload's quotes become
/// <c>\"</c>, not <c>\u0022</c>, which keeps the nested JSON of inputs and results small and quick to write.</remarks>
internal static class HistorySerializer
{
    private static readonly JsonSerializerOptions Options = CreateOptions();

    public static string Serialize(HistoryEvent historyEvent) => JsonSerializer.Serialize(historyEvent, Options);

    public static HistoryEvent Deserialize(string json) =>
        JsonSerializer.Deserialize<HistoryEvent>(json, Options) ?? throw new JsonException("A history event was stored as JSON null.");

    public static string SerializeFailure(TaskFailureDetails failure) => JsonSerializer.Serialize(failure, Options);

    public static TaskFailureDetails? DeserializeFailure(string json) => JsonSerializer.Deserialize<TaskFailureDetails>(json, Options);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        return options;
    }
}
