using System.Text.Json;
using System.Text.Json.Serialization;
using DurableMigration.Monitoring;

namespace DurableMigration.Providers.Monitoring;

/// <summary>The JSON shape of <see cref="MigrationRecord"/>: PascalCase names, nulls left out.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MigrationRecord))]
internal sealed partial class MigrationRecordJsonContext : JsonSerializerContext;

/// <summary>A <see cref="MigrationRecord"/> as one JSON line (the Log Analytics row shape), and back.</summary>
public static class MigrationRecordJson
{
    /// <summary>The record as one line of JSON, without the newline: PascalCase names, nulls left out.</summary>
    /// <param name="record">The record.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize(MigrationRecord record) => JsonSerializer.Serialize(record, MigrationRecordJsonContext.Default.MigrationRecord);

    /// <summary>Reads one line written by <see cref="Serialize"/>.</summary>
    /// <param name="line">The JSON text.</param>
    /// <returns>The record.</returns>
    /// <exception cref="JsonException">The line is not a record.</exception>
    public static MigrationRecord Deserialize(string line) =>
        JsonSerializer.Deserialize(line, MigrationRecordJsonContext.Default.MigrationRecord) ?? throw new JsonException("The line holds no migration record.");
}
