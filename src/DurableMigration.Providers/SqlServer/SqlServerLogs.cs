using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.SqlServer;

/// <summary>The SQL Server pieces' log lines. They name the database (the wave's name) and the statement's name, never a connection string, server, user or password.</summary>
internal static partial class SqlServerLogs
{
    [LoggerMessage(EventId = 320, Level = LogLevel.Warning, Message = "SQL Server statement {Query} for {Database} failed with transient error {ErrorNumber}; retry {Attempt} of {MaxRetries} in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string query, string database, int errorNumber, int attempt, int maxRetries, long delayMs);

    [LoggerMessage(EventId = 321, Level = LogLevel.Information, Message = "Assessed SQL Server database {Database} for {Target}: version {Version}, {Tables} table(s), {SizeBytes} bytes, {Blocking} blocking finding(s), {Warnings} warning(s)")]
    public static partial void Assessed(ILogger logger, string database, string target, string version, int tables, long sizeBytes, int blocking, int warnings);

    [LoggerMessage(EventId = 322, Level = LogLevel.Warning, Message = "Assessment of {Database}: rule {Rule} could not run ({Reason})")]
    public static partial void RuleNotChecked(ILogger logger, string database, string rule, string reason);

    [LoggerMessage(EventId = 323, Level = LogLevel.Information, Message = "Validated SQL Server database {Database}: {Summary} ({Mismatches} table mismatch(es), {Missing} missing object(s))")]
    public static partial void Validated(ILogger logger, string database, string summary, int mismatches, int missing);

    [LoggerMessage(EventId = 324, Level = LogLevel.Warning, Message = "Validation of {Database}: table {Table} differs ({Detail})")]
    public static partial void TableDiffers(ILogger logger, string database, string table, string detail);

    [LoggerMessage(EventId = 325, Level = LogLevel.Information, Message = "Made source database {Database} read-only")]
    public static partial void MadeReadOnly(ILogger logger, string database);

    [LoggerMessage(EventId = 326, Level = LogLevel.Information, Message = "Made source database {Database} writable again")]
    public static partial void MadeWritable(ILogger logger, string database);

    [LoggerMessage(EventId = 327, Level = LogLevel.Information, Message = "Emptied {Tables} copied table(s) in the target of {Database}")]
    public static partial void TablesEmptied(ILogger logger, string database, int tables);

    [LoggerMessage(EventId = 328, Level = LogLevel.Information, Message = "Dropped target database of {Database} (if it existed)")]
    public static partial void TargetDropped(ILogger logger, string database);

    [LoggerMessage(EventId = 329, Level = LogLevel.Information, Message = "Target schema check of {Database}: {Missing} source table(s) missing, {NonEmpty} table(s) holding rows")]
    public static partial void TargetChecked(ILogger logger, string database, int missing, int nonEmpty);
}
