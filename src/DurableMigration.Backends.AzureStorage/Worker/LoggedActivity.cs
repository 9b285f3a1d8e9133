using System.Diagnostics;
using DurableTask.Core;
using DurableTask.Core.Exceptions;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Backends.AzureStorage.Worker;

/// <summary>An SDK activity (already shimmed) that logs which worker ran it and hands its work item back when the worker stops.</summary>
/// <remarks>
/// An activity cancelled because its worker is stopping must not be recorded as failed: it is retried elsewhere. The
/// framework abandons the work item (the message reappears for another worker) when the activity throws
/// <see cref="SessionAbortedException"/>.
/// </remarks>
internal sealed class LoggedActivity(string name, TaskActivity inner, ILogger logger, string workerId, CancellationToken stopping) : TaskActivity
{
    /// <inheritdoc/>
    public override string Run(TaskContext context, string input) =>
        throw new NotSupportedException("The Durable Task Framework runs SDK activities through RunAsync.");

    /// <inheritdoc/>
    public override async Task<string> RunAsync(TaskContext context, string input)
    {
        ArgumentNullException.ThrowIfNull(context);
        string instanceId = context.OrchestrationInstance?.InstanceId ?? "?";
        Logs.ActivityStarted(logger, name, instanceId, workerId);
        long started = Stopwatch.GetTimestamp();
        try
        {
            return await inner.RunAsync(context, input).ConfigureAwait(false);
        }
        catch (Exception ex) when (stopping.IsCancellationRequested && ex is OperationCanceledException or TaskCanceledException)
        {
            Logs.ActivityHandedBack(logger, name, instanceId, workerId);
            throw new SessionAbortedException($"Worker {workerId} is stopping; activity {name} is handed back.", ex);
        }
        finally
        {
            Logs.ActivityEnded(logger, name, instanceId, workerId, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
