using Microsoft.Extensions.Logging;

namespace DurableMigration.Engine;

/// <summary>The runtime's structured log lines, with stable event ids. None carries inputs, outputs or payloads.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Durable engine started on task hub {TaskHubPath} as worker {WorkerId}")]
    public static partial void EngineStarted(ILogger logger, string taskHubPath, string workerId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Durable engine stopped (worker {WorkerId})")]
    public static partial void EngineStopped(ILogger logger, string workerId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Released the locks of {Count} worker(s) whose process is gone: {Workers}")]
    public static partial void ReleasedDeadWorkerLocks(ILogger logger, int count, string workers);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Orchestration {Name} ({InstanceId}) {Status}")]
    public static partial void OrchestrationFinished(ILogger logger, string name, string instanceId, string status);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "Orchestration {Name} ({InstanceId}) is non-deterministic: {Detail}")]
    public static partial void NonDeterminism(ILogger logger, string name, string instanceId, string detail);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "Turn of orchestration {InstanceId} failed inside the runtime; retrying after {Delay}")]
    public static partial void TurnAbandoned(ILogger logger, Exception exception, string instanceId, TimeSpan delay);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Lost the lock of orchestration {InstanceId} before committing; another worker will run the turn")]
    public static partial void TurnLockLost(ILogger logger, string instanceId);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Activity {Name} (task #{TaskId} of {InstanceId}) failed: {ErrorType}")]
    public static partial void ActivityFailed(ILogger logger, string name, int taskId, string instanceId, string errorType);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Dropped {Count} activity result(s): their lease passed to another worker")]
    public static partial void ActivityResultsDropped(ILogger logger, int count);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "Activity {Name} (task #{TaskId} of {InstanceId}) runs again, attempt {Attempt}, after a crash or lost lease")]
    public static partial void ActivityRedelivered(ILogger logger, string name, int taskId, string instanceId, int attempt);

    [LoggerMessage(EventId = 30, Level = LogLevel.Error, Message = "The {Dispatcher} dispatcher failed; retrying")]
    public static partial void DispatcherFailed(ILogger logger, Exception exception, string dispatcher);
}
