namespace DurableMigration.Orchestration;

/// <summary>Options for scheduling an activity or sub-orchestration, as Durable Functions' <c>TaskOptions</c>.</summary>
public class TaskOptions
{
    /// <summary>Initializes options with an optional retry policy.</summary>
    public TaskOptions(RetryPolicy? retry = null) => Retry = retry;

    /// <summary>Gets the durable retry policy, or <c>null</c> to try once.</summary>
    public RetryPolicy? Retry { get; }

    /// <summary>Creates options that retry according to <paramref name="policy"/>.</summary>
    public static TaskOptions FromRetryPolicy(RetryPolicy policy) => new(policy);

    /// <summary>Creates sub-orchestration options that start the child under <paramref name="instanceId"/>.</summary>
    public SubOrchestrationOptions WithInstanceId(string instanceId) => new(instanceId, Retry);
}

/// <summary>Options for a sub-orchestration: its instance id and retry policy.</summary>
public sealed class SubOrchestrationOptions : TaskOptions
{
    /// <summary>Initializes options that start the child under <paramref name="instanceId"/>.</summary>
    public SubOrchestrationOptions(string? instanceId, RetryPolicy? retry = null)
        : base(retry) => InstanceId = instanceId;

    /// <summary>Gets the child's instance id, or <c>null</c> to derive one deterministically from the parent.</summary>
    public string? InstanceId { get; }
}
