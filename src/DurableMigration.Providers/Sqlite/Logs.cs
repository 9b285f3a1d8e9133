using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.Sqlite;

/// <summary>The SQLite provider's log lines. They name the database and at most a file name: never a connection string or a path.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Assessed {Database}: {Tables} table(s), {SizeBytes} bytes, {Blocking} blocking finding(s)")]
    public static partial void Assessed(ILogger logger, string database, int tables, long sizeBytes, int blocking);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Created the schema of {Database} in {TargetFile}: {Tables} table(s), {Views} view(s)")]
    public static partial void SchemaCopied(ILogger logger, string database, string targetFile, int tables, int views);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Rebuilding the target of {Database} before copying rows: it is not the fresh schema copy of the current source ({Reason})")]
    public static partial void RebuildingTarget(ILogger logger, string database, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Copied {Rows} row(s) of {Database} ({Tables} table(s), ~{Bytes} bytes) in {ElapsedMs} ms")]
    public static partial void DataCopied(ILogger logger, string database, long rows, int tables, long bytes, long elapsedMs);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Made the source of {Database} read-only: {Triggers} trigger(s) on {Tables} table(s)")]
    public static partial void MadeReadOnly(ILogger logger, string database, int triggers, int tables);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Made the source of {Database} writable: dropped {Triggers} read-only trigger(s)")]
    public static partial void MadeWritable(ILogger logger, string database, int triggers);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Validated {Database}: {Passed} ({Mismatches} table mismatch(es), {Missing} missing object(s))")]
    public static partial void Validated(ILogger logger, string database, string passed, int mismatches, int missing);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "Dropped the target of {Database} ({TargetFile})")]
    public static partial void TargetDropped(ILogger logger, string database, string targetFile);

    [LoggerMessage(EventId = 108, Level = LogLevel.Warning, Message = "Integrity check of {Database}: {Problem}")]
    public static partial void IntegrityProblem(ILogger logger, string database, string problem);

    [LoggerMessage(EventId = 109, Level = LogLevel.Information, Message = "Recording changes to the source of {Database} from now on: capture triggers on {Tables} table(s)")]
    public static partial void CaptureInstalled(ILogger logger, string database, int tables);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Cannot record changes to the source of {Database} ({Reason}); a change sync will copy everything again")]
    public static partial void CaptureUnavailable(ILogger logger, string database, string reason);

    [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "Removed the change capture from the source of {Database}")]
    public static partial void CaptureRemoved(ILogger logger, string database);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "Synced {Database}: {Changed} changed row(s), {Written} written, {Deleted} deleted, final {Final}, in {ElapsedMs} ms")]
    public static partial void ChangesSynced(ILogger logger, string database, long changed, long written, long deleted, bool final, long elapsedMs);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "Change sync of {Database} copies everything again: {Reason}")]
    public static partial void SyncCopiesAgain(ILogger logger, string database, string reason);

    [LoggerMessage(EventId = 114, Level = LogLevel.Information, Message = "Baseline of the target of {Database}: {Tables} table(s), {Rows} row(s) watched from now on (kept an existing one: {AlreadyRecorded})")]
    public static partial void BaselineRecorded(ILogger logger, string database, int tables, long rows, bool alreadyRecorded);

    [LoggerMessage(EventId = 115, Level = LogLevel.Warning, Message = "Replacing the damaged baseline of the target of {Database} ({Reason}); changes recorded before are forgotten")]
    public static partial void BaselineReplaced(ILogger logger, string database, string reason);

    [LoggerMessage(EventId = 116, Level = LogLevel.Information, Message = "Made the target of {Database} read-only: {Triggers} trigger(s) on {Tables} table(s)")]
    public static partial void TargetMadeReadOnly(ILogger logger, string database, int triggers, int tables);

    [LoggerMessage(EventId = 117, Level = LogLevel.Information, Message = "Copied the target's changes of {Database} back to the source: {Changed} changed row(s), {Written} written, {Deleted} deleted, full copy {FullCopy}, in {ElapsedMs} ms")]
    public static partial void CopiedBack(ILogger logger, string database, long changed, long written, long deleted, bool fullCopy, long elapsedMs);

    [LoggerMessage(EventId = 118, Level = LogLevel.Warning, Message = "Copy-back of {Database}: the source is writable; rows written to it since are overwritten by the target's rows with the same keys. Copy back before making the source writable")]
    public static partial void CopyBackSourceWritable(ILogger logger, string database);

    [LoggerMessage(EventId = 119, Level = LogLevel.Information, Message = "Copy-back of {Database}: there is no target, nothing to copy back")]
    public static partial void NothingToCopyBack(ILogger logger, string database);

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "Backed up the target of {Database} to {BackupFile} ({Bytes} bytes)")]
    public static partial void TargetBackedUp(ILogger logger, string database, string backupFile, long bytes);

    [LoggerMessage(EventId = 121, Level = LogLevel.Information, Message = "Removed the baseline of the target of {Database} (there was one: {Removed}) and {Triggers} read-only trigger(s): its changes are no longer recorded")]
    public static partial void BaselineForgotten(ILogger logger, string database, bool removed, int triggers);

    [LoggerMessage(EventId = 140, Level = LogLevel.Information, Message = "The source checksums of {Database} taken during the copy are unavailable ({Reason}); validation hashes the source again")]
    public static partial void SourceChecksumsUnavailable(ILogger logger, string database, string reason);
}
