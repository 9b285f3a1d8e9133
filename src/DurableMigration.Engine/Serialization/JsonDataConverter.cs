using System.Text.Json;
using System.Text.Json.Serialization;
using DurableMigration.Engine.History;

namespace DurableMigration.Engine.Serialization;

/// <summary>Serializes inputs, outputs, event payloads and custom status as JSON (System.Text.Json, web defaults, enums as strings).</summary>
public sealed class JsonDataConverter
{
    /// <summary>Initializes a converter over <paramref name="options"/>.</summary>
    public JsonDataConverter(JsonSerializerOptions options) => Options = options;

    /// <summary>Gets the converter used unless the host configures another.</summary>
    public static JsonDataConverter Default { get; } = new(CreateDefaultOptions());

    /// <summary>Gets the serializer options.</summary>
    public JsonSerializerOptions Options { get; }

    /// <summary>Serializes a value, or returns <c>null</c> for <c>null</c>.</summary>
    public string? Serialize(object? value) =>
        value is null ? null : JsonSerializer.Serialize(value, value.GetType(), Options);

    /// <summary>Deserializes <paramref name="json"/> to <paramref name="type"/>; <c>null</c> JSON gives the type's default.</summary>
    public object? Deserialize(string? json, Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (json is null)
        {
            return type.IsValueType && Nullable.GetUnderlyingType(type) is null ? Activator.CreateInstance(type) : null;
        }

        return JsonSerializer.Deserialize(json, type, Options);
    }

    /// <summary>Deserializes <paramref name="json"/> to <typeparamref name="T"/>; <c>null</c> JSON gives <c>default</c>.</summary>
    public T? Deserialize<T>(string? json) => json is null ? default : JsonSerializer.Deserialize<T>(json, Options);

    internal static string SerializeEvent(HistoryEvent historyEvent) => JsonSerializer.Serialize(historyEvent, HistoryOptions);

    internal static HistoryEvent DeserializeEvent(string json) =>
        JsonSerializer.Deserialize<HistoryEvent>(json, HistoryOptions) ?? throw new JsonException("A history event was stored as JSON null.");

    private static readonly JsonSerializerOptions HistoryOptions = CreateDefaultOptions();

    private static JsonSerializerOptions CreateDefaultOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        return options;
    }
}
