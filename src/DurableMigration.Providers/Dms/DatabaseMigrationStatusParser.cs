using System.Globalization;
using System.Text.Json;

namespace DurableMigration.Providers.Dms;

/// <summary>Reads a <c>DatabaseMigrationSqlDb</c>, <c>DatabaseMigrationSqlMi</c> or <c>DatabaseMigrationSqlVm</c> body into a <see cref="DatabaseMigrationStatus"/>.</summary>
internal static class DatabaseMigrationStatusParser
{
    public static DatabaseMigrationStatus Parse(BinaryData content, DatabaseMigrationTarget target)
    {
        using JsonDocument document = JsonDocument.Parse(content);
        JsonElement root = document.RootElement;
        JsonElement properties = root.TryGetProperty("properties", out JsonElement p) && p.ValueKind == JsonValueKind.Object ? p : default;
        JsonElement details = properties.ValueKind == JsonValueKind.Object
            && properties.TryGetProperty("migrationStatusDetails", out JsonElement d) && d.ValueKind == JsonValueKind.Object
            ? d
            : default;
        ArmErrorDetail? failure = null;
        if (properties.ValueKind == JsonValueKind.Object
            && properties.TryGetProperty("migrationFailureError", out JsonElement error) && error.ValueKind == JsonValueKind.Object)
        {
            failure = new ArmErrorDetail(String(error, "code") ?? string.Empty, String(error, "message") ?? string.Empty);
        }

        return new DatabaseMigrationStatus
        {
            Id = String(root, "id") ?? target.MigrationId,
            Name = String(root, "name") ?? target.TargetDatabaseName,
            Kind = String(properties, "kind"),
            Scope = String(properties, "scope"),
            ProvisioningState = String(properties, "provisioningState"),
            ProvisioningError = String(properties, "provisioningError"),
            MigrationStatus = String(properties, "migrationStatus"),
            MigrationOperationId = String(properties, "migrationOperationId"),
            StartedOn = Date(properties, "startedOn"),
            EndedOn = Date(properties, "endedOn"),
            SourceServerName = String(properties, "sourceServerName"),
            SourceDatabaseName = String(properties, "sourceDatabaseName"),
            MigrationFailureError = failure,
            MigrationState = String(details, "migrationState"),
            Tables = Tables(details),
            CopyErrors = Strings(details, "sqlDataCopyErrors"),
            IsFullBackupRestored = details.ValueKind == JsonValueKind.Object
                && details.TryGetProperty("isFullBackupRestored", out JsonElement restored) && restored.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? restored.GetBoolean()
                : null,
            RestoreBlockingReason = String(details, "restoreBlockingReason"),
            PendingLogBackupsCount = details.ValueKind == JsonValueKind.Object
                && details.TryGetProperty("pendingLogBackupsCount", out JsonElement pending) && pending.ValueKind == JsonValueKind.Number
                ? pending.GetInt32()
                : null,
            LastRestoredFilename = String(details, "lastRestoredFilename"),
            CurrentRestoringFilename = String(details, "currentRestoringFilename"),
            CompleteRestoreErrorMessage = String(details, "completeRestoreErrorMessage"),
        };
    }

    private static List<DatabaseMigrationTableProgress> Tables(JsonElement details)
    {
        var tables = new List<DatabaseMigrationTableProgress>();
        if (details.ValueKind != JsonValueKind.Object
            || !details.TryGetProperty("listOfCopyProgressDetails", out JsonElement list) || list.ValueKind != JsonValueKind.Array)
        {
            return tables;
        }

        foreach (JsonElement table in list.EnumerateArray())
        {
            if (table.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            tables.Add(new DatabaseMigrationTableProgress
            {
                TableName = String(table, "tableName") ?? string.Empty,
                Status = String(table, "status"),
                RowsRead = Int64(table, "rowsRead"),
                RowsCopied = Int64(table, "rowsCopied"),
                DataRead = Int64(table, "dataRead"),
                DataWritten = Int64(table, "dataWritten"),
                CopyThroughput = table.TryGetProperty("copyThroughput", out JsonElement t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : 0,
                CopyDuration = Int64(table, "copyDuration"),
                CopyStart = Date(table, "copyStart"),
                ParallelCopyType = String(table, "parallelCopyType"),
                UsedParallelCopies = (int)Int64(table, "usedParallelCopies"),
            });
        }

        return tables;
    }

    private static List<string> Strings(JsonElement element, string name)
    {
        var values = new List<string>();
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            values.AddRange(list.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).Where(v => v.Length > 0));
        }

        return values;
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static long Int64(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number
            ? value.TryGetInt64(out long whole) ? whole : (long)value.GetDouble()
            : 0;

    private static DateTimeOffset? Date(JsonElement element, string name) =>
        String(element, name) is { } text
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset value)
            ? value
            : null;
}
