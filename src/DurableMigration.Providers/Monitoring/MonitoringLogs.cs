using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.Monitoring;

internal static partial class MonitoringLogs
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Upload of {Count} migration records failed (attempt {Attempt} of {Attempts}); trying again")]
    public static partial void UploadRetrying(ILogger logger, int count, int attempt, int attempts, Exception exception);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Error, Message = "{Count} migration records were dropped: their upload failed")]
    public static partial void UploadDropped(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "The migration record buffer did not flush in {Timeout}; {Count} records stay unsent")]
    public static partial void FlushTimedOut(ILogger logger, TimeSpan timeout, int count);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Error, Message = "A migration record could not be appended to {Path}; it was dropped")]
    public static partial void AppendFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Error, Message = "The migration record upload loop stopped; {Count} records stay unsent")]
    public static partial void UploadLoopFailed(ILogger logger, Exception exception, int count);
}
