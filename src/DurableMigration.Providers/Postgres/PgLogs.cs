using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.Postgres;

/// <summary>The PostgreSQL provider's log lines. They name the database (the wave's name and the server's), never a connection string, host, user or password.</summary>
internal static partial class PgLogs
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Assessed {Database}: {Tables} table(s), {SizeBytes} bytes, {Blocking} blocking finding(s)")]
    public static partial void Assessed(ILogger logger, string database, int tables, long sizeBytes, int blocking);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Created the schema of {Database} in target database {TargetDatabase}: {Tables} table(s), {Views} view(s)")]
    public static partial void SchemaCopied(ILogger logger, string database, string targetDatabase, int tables, int views);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Replacing target database {TargetDatabase} of {Database}, left by an earlier attempt ({Reason})")]
    public static partial void ReplacingTarget(ILogger logger, string database, string targetDatabase, string reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Copied {Rows} row(s) of {Database} ({Tables} table(s), {Bytes} bytes) in {ElapsedMs} ms")]
    public static partial void DataCopied(ILogger logger, string database, long rows, int tables, long bytes, long elapsedMs);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Made the source of {Database} read-only (default_transaction_read_only) and ended {Sessions} other session(s)")]
    public static partial void MadeReadOnly(ILogger logger, string database, int sessions);

    [LoggerMessage(EventId = 205, Level = LogLevel.Information, Message = "Made the source of {Database} writable and ended {Sessions} session(s) opened while it was read-only")]
    public static partial void MadeWritable(ILogger logger, string database, int sessions);

    [LoggerMessage(EventId = 206, Level = LogLevel.Information, Message = "Validated {Database}: {Passed} ({Mismatches} table mismatch(es), {Missing} missing object(s))")]
    public static partial void Validated(ILogger logger, string database, string passed, int mismatches, int missing);

    [LoggerMessage(EventId = 207, Level = LogLevel.Information, Message = "Dropped target database {TargetDatabase} of {Database}")]
    public static partial void TargetDropped(ILogger logger, string database, string targetDatabase);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning, Message = "Drop of the target of {Database}: could not clean up replication on the {Role} ({Reason}); remove objects named dmig_* there by hand if they remain")]
    public static partial void ReplicationCleanupFailed(ILogger logger, string database, string role, string reason);

    [LoggerMessage(EventId = 209, Level = LogLevel.Warning, Message = "Schema copy of {Database}: {Object} keeps the target user as owner ({Reason})")]
    public static partial void OwnerNotSet(ILogger logger, string database, string @object, string reason);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Removed replication object {Object} of {Database} on the {Role}")]
    public static partial void ReplicationObjectRemoved(ILogger logger, string database, string @object, string role);

    [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "Target database {TargetDatabase} of {Database} does not carry DurableMigration's marker and is empty: it is left in place")]
    public static partial void UnmarkedTargetLeft(ILogger logger, string database, string targetDatabase);

    [LoggerMessage(EventId = 212, Level = LogLevel.Warning, Message = "Validation of {Database}: table {Table} differs; {Detail}")]
    public static partial void TableDiffers(ILogger logger, string database, string table, string detail);

    [LoggerMessage(EventId = 213, Level = LogLevel.Information, Message = "Offline copy of {Database} does not record changes ({Rule}): the final sync copies everything again, with the source read-only")]
    public static partial void NotRecording(ILogger logger, string database, string rule);
}
