namespace DurableMigration.Orchestration;

/// <summary>Overloads Durable Functions offers on <c>TaskOrchestrationContext</c>, built from the port's core members.</summary>
public static class OrchestrationContextExtensions
{
    /// <summary>Schedules an activity that returns nothing.</summary>
    public static Task CallActivityAsync(this IOrchestrationContext context, string name, object? input = null, TaskOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.CallActivityAsync<object?>(name, input, options);
    }

    /// <summary>Starts a sub-orchestration whose output is ignored.</summary>
    public static Task CallSubOrchestratorAsync(this IOrchestrationContext context, string orchestratorName, object? input = null, TaskOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.CallSubOrchestratorAsync<object?>(orchestratorName, input, options);
    }

    /// <summary>Creates a durable timer that fires <paramref name="delay"/> after the current orchestration time.</summary>
    public static Task CreateTimer(this IOrchestrationContext context, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.CreateTimer(context.CurrentUtcDateTime.Add(delay), cancellationToken);
    }

    /// <summary>Waits for an external event for at most <paramref name="timeout"/>, using a durable timer.</summary>
    /// <exception cref="TaskCanceledException">No such event arrived within <paramref name="timeout"/>.</exception>
    public static async Task<T> WaitForExternalEvent<T>(this IOrchestrationContext context, string eventName, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var timerCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var eventCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task timeoutTask = context.CreateTimer(timeout, timerCts.Token);
        Task<T> eventTask = context.WaitForExternalEvent<T>(eventName, eventCts.Token);

        // Orchestrator code: continuations must stay on the orchestrator thread, so no ConfigureAwait(false).
#pragma warning disable CA2007
        Task winner = await Task.WhenAny(timeoutTask, eventTask);
#pragma warning restore CA2007
        // Cancel synchronously: CancelAsync would run the context's cancellation callbacks on another thread.
#pragma warning disable CA1849
        if (winner == eventTask)
        {
            timerCts.Cancel();
        }
        else
        {
            eventCts.Cancel();
        }
#pragma warning restore CA1849

#pragma warning disable CA2007
        return await eventTask;
#pragma warning restore CA2007
    }
}
