using DurableMigration.Providers;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Functions.Activities;

/// <summary>Runs a <c>TaskActivity</c> class for an <c>[ActivityTrigger]</c> function, as the SDK's worker runs a registered one.</summary>
/// <remarks>
/// The activity comes from the invocation's services (registered or created with its ports injected), gets a
/// <see cref="TaskActivityContext"/> with the function's name and the calling orchestration's instance id, and its
/// <see cref="IWorkerShutdown"/> signals when the host cancels the invocation (it drains or the function times out).
/// </remarks>
public static class ActivityInvocation
{
    /// <summary>The trigger's binding data that carries the calling orchestration's instance id.</summary>
    public const string InstanceIdBinding = "instanceId";

    /// <summary>Runs <typeparamref name="TActivity"/> on <paramref name="input"/> in the invocation <paramref name="context"/>.</summary>
    public static Task<TOutput> RunAsync<TActivity, TInput, TOutput>(TInput input, FunctionContext context)
        where TActivity : TaskActivity<TInput, TOutput>
    {
        ArgumentNullException.ThrowIfNull(context);
        var services = context.InstanceServices;
        services.GetRequiredService<InvocationShutdown>().Token = context.CancellationToken;
        var activity = ActivatorUtilities.GetServiceOrCreateInstance<TActivity>(services);
        string instanceId = context.BindingContext.BindingData.TryGetValue(InstanceIdBinding, out object? id) && id is string text ? text : string.Empty;
        return activity.RunAsync(new FunctionActivityContext(context.FunctionDefinition.Name, instanceId), input);
    }
}

/// <summary>The activity context of one invocation: the activity's name and the calling orchestration's instance id.</summary>
/// <param name="name">The activity's name (the function's).</param>
/// <param name="instanceId">The calling orchestration's instance id.</param>
public sealed class FunctionActivityContext(TaskName name, string instanceId) : TaskActivityContext
{
    /// <inheritdoc/>
    public override TaskName Name { get; } = name;

    /// <inheritdoc/>
    public override string InstanceId { get; } = instanceId;
}

/// <summary>The worker's shutdown signal as one invocation sees it: the token the host cancels that invocation with.</summary>
/// <remarks>Scoped: set by <see cref="ActivityInvocation"/> before the activity is created, so each invocation has its own.</remarks>
public sealed class InvocationShutdown : IWorkerShutdown
{
    /// <inheritdoc/>
    public CancellationToken Token { get; set; }
}
