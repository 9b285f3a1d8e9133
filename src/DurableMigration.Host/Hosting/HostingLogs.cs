using Microsoft.Extensions.Logging;

namespace DurableMigration.Host.Hosting;

/// <summary>The hosting's source-generated log lines.</summary>
internal static partial class HostingLogs
{
    [LoggerMessage(EventId = 8101, Level = LogLevel.Error, Message = "Migration records could not be appended to {Path}; they were dropped")]
    public static partial void RecordDropped(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 8102, Level = LogLevel.Information, Message = "Migration records go to Azure Monitor: rule {RuleId}, stream {Stream} at {Endpoint}")]
    public static partial void LogsIngestionEnabled(ILogger logger, string ruleId, string stream, Uri endpoint);

    [LoggerMessage(EventId = 8103, Level = LogLevel.Information, Message = "OpenTelemetry traces and metrics go to {Exporters}")]
    public static partial void TelemetryEnabled(ILogger logger, string exporters);

    [LoggerMessage(EventId = 8104, Level = LogLevel.Warning, Message = "Rehearsal of the Azure path (DMIG_REHEARSE_AZURE): Resource Manager calls go to the Database Migration Service emulator at {DmsEndpoint}, migration records to the Logs Ingestion emulator at {LogsEndpoint}; nothing reaches Azure and the emulated migrations copy no rows")]
    public static partial void RehearsalStarted(ILogger logger, Uri dmsEndpoint, Uri logsEndpoint);

    [LoggerMessage(EventId = 8105, Level = LogLevel.Information, Message = "Rehearsal ended: the Logs Ingestion emulator accepted {Records} migration record(s) in {Requests} request(s)")]
    public static partial void RehearsalRecords(ILogger logger, int records, int requests);
}
