using Microsoft.Extensions.Logging;

namespace DurableMigration.Backends.AzureStorage;

/// <summary>The Azure Storage backend's log lines, with stable event ids; they name hubs, workers, instances and activities, never a connection string.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Worker {WorkerId} started on task hub {TaskHub} in {Account}: {Orchestrators} orchestrators, {Activities} activities")]
    public static partial void WorkerStarted(ILogger logger, string workerId, string taskHub, string account, int orchestrators, int activities);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Worker {WorkerId} stopping: finishing the work items in hand, handing back the long ones")]
    public static partial void WorkerStopping(ILogger logger, string workerId);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "Worker {WorkerId} stopped")]
    public static partial void WorkerStopped(ILogger logger, string workerId);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "Activity {Activity} of {InstanceId} started on worker {WorkerId}")]
    public static partial void ActivityStarted(ILogger logger, string activity, string instanceId, string workerId);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "Activity {Activity} of {InstanceId} ended on worker {WorkerId} after {ElapsedMs} ms")]
    public static partial void ActivityEnded(ILogger logger, string activity, string instanceId, string workerId, long elapsedMs);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning, Message = "Activity {Activity} of {InstanceId} handed back by worker {WorkerId}, which is stopping; another worker runs it again")]
    public static partial void ActivityHandedBack(ILogger logger, string activity, string instanceId, string workerId);
}
