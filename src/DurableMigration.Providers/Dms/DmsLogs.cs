using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.Dms;

internal static partial class DmsLogs
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Started the {Mode} DMS migration of {Database} to {Target} (operation {OperationId})")]
    public static partial void Started(ILogger logger, string mode, string database, string target, string? operationId);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Attached to the DMS migration of {Database} to {Target} already {Status} (operation {OperationId}) instead of starting another")]
    public static partial void Attached(ILogger logger, string database, string target, string? status, string? operationId);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Starting the DMS migration of {Database} to {Target} again: the earlier one ended {Status}")]
    public static partial void Restarting(ILogger logger, string database, string target, string? status);

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "DMS copy of {Database}: {TablesCopied}/{Tables} table(s) copied, {RowsRead} row(s) read, {RowsCopied} copied, {ThroughputKBps} KB/s ({Status})")]
    public static partial void TableProgress(ILogger logger, string database, int tablesCopied, int tables, long rowsRead, long rowsCopied, double throughputKBps, string? status);

    [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "DMS restore of {Database}: full backup restored {FullBackupRestored}, restoring {Current}, last restored {LastRestored}, {Pending} log backup(s) pending ({Status})")]
    public static partial void RestoreProgress(ILogger logger, string database, bool? fullBackupRestored, string? current, string? lastRestored, int? pending, string? status);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "DMS restore of {Database} is blocked: {Reason}")]
    public static partial void RestoreBlocked(ILogger logger, string database, string reason);

    [LoggerMessage(EventId = 306, Level = LogLevel.Warning, Message = "DMS copied table {Table} of {Database} with {RowsRead} row(s) read but {RowsCopied} copied")]
    public static partial void RowsDiffer(ILogger logger, string database, string table, long rowsRead, long rowsCopied);

    [LoggerMessage(EventId = 307, Level = LogLevel.Information, Message = "DMS migration of {Database} finished: {Rows} row(s), {Bytes} byte(s) in {Tables} table(s)")]
    public static partial void Copied(ILogger logger, string database, long rows, long bytes, int tables);

    [LoggerMessage(EventId = 308, Level = LogLevel.Information, Message = "DMS migration of {Database} is ready for cutover: full backup restored, {Pending} log backup(s) pending")]
    public static partial void ReadyForCutover(ILogger logger, string database, int? pending);

    [LoggerMessage(EventId = 309, Level = LogLevel.Information, Message = "Cut the DMS migration of {Database} over in {ElapsedMs} ms (already done before: {AlreadyDone})")]
    public static partial void CutOver(ILogger logger, string database, long elapsedMs, bool alreadyDone);

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Compensated the DMS migration of {Database}: {Summary}")]
    public static partial void Compensated(ILogger logger, string database, string summary);

    [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "Deleting database {TargetDatabase} left on the managed instance by an earlier failed DMS migration of {Database}, before starting again")]
    public static partial void DeletingLeftover(ILogger logger, string database, string targetDatabase);

    [LoggerMessage(EventId = 312, Level = LogLevel.Warning, Message = "A Resource Manager call for the DMS migration of {Database} failed ({Step}); retrying can help: {Reason}")]
    public static partial void TransientFailure(ILogger logger, string database, string step, string reason);
}
