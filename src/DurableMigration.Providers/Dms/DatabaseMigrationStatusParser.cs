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
            Offline = target.Kind == DatabaseMigrationTargetKind.SqlDb
                ? true
                : properties.ValueKind == JsonValueKind.Object
                    && properties.TryGetProperty("offlineConfiguration", out JsonElement offline) && offline.ValueKind == JsonValueKind.Object
                    && offline.TryGetProperty("offline", out JsonElement flag) && flag.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? flag.GetBoolean()
                    : null,
            BlobContainerName = String(details, "blobContainerName"),
            FullBackupSet = BackupSet(details, "fullBackupSetInfo"),
            LastRestoredBackupSet = BackupSet(details, "lastRestoredBackupSetInfo"),
            ActiveBackupSets = BackupSets(details),
            InvalidFiles = Strings(details, "invalidFiles"),
            FileUploadBlockingErrors = Strings(details, "fileUploadBlockingErrors"),
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

    private static DatabaseMigrationBackupSet? BackupSet(JsonElement details, string name) =>
        details.ValueKind == JsonValueKind.Object && details.TryGetProperty(name, out JsonElement set) && set.ValueKind == JsonValueKind.Object
            ? BackupSet(set)
            : null;

    private static List<DatabaseMigrationBackupSet> BackupSets(JsonElement details)
    {
        var sets = new List<DatabaseMigrationBackupSet>();
        if (details.ValueKind == JsonValueKind.Object
            && details.TryGetProperty("activeBackupSets", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            sets.AddRange(list.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object).Select(BackupSet));
        }

        return sets;
    }

    private static DatabaseMigrationBackupSet BackupSet(JsonElement set)
    {
        var files = new List<DatabaseMigrationBackupFile>();
        if (set.TryGetProperty("listOfBackupFiles", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement file in list.EnumerateArray().Where(f => f.ValueKind == JsonValueKind.Object))
            {
                files.Add(new DatabaseMigrationBackupFile(
                    String(file, "fileName") ?? string.Empty,
                    String(file, "status"),
                    Int64(file, "totalSize"),
                    Int64(file, "dataRead"),
                    Int64(file, "dataWritten"),
                    file.TryGetProperty("copyThroughput", out JsonElement t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : 0));
            }
        }

        return new DatabaseMigrationBackupSet
        {
            BackupSetId = String(set, "backupSetId"),
            BackupType = String(set, "backupType"),
            FirstLsn = String(set, "firstLSN"),
            LastLsn = String(set, "lastLSN"),
            BackupStartDate = Date(set, "backupStartDate"),
            BackupFinishDate = Date(set, "backupFinishDate"),
            IsBackupRestored = set.TryGetProperty("isBackupRestored", out JsonElement restored) && restored.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? restored.GetBoolean()
                : null,
            Files = files,
        };
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
