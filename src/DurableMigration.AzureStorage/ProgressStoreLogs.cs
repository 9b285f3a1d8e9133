using Microsoft.Extensions.Logging;

namespace DurableMigration.AzureStorage;

/// <summary>The Azure Storage adapters' log lines, with stable event ids; they name waves, databases and tables, never a connection.</summary>
internal static partial class ProgressStoreLogs
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Progress of {WaveId}/{Database} could not be written to table {Table}; the next pass tries again")]
    public static partial void WriteFailed(ILogger logger, Exception exception, string waveId, string database, string table);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Progress of {WaveId}/{Database} was not written to table {Table} before the store stopped")]
    public static partial void FlushAbandoned(ILogger logger, string waveId, string database, string table);
}
