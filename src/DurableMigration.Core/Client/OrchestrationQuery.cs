namespace DurableMigration.Client;

/// <summary>Filter and paging for listing instances, as Durable Functions' <c>OrchestrationQuery</c> (plus a name filter).</summary>
public sealed record OrchestrationQuery
{
    /// <summary>Gets the earliest creation time to include (UTC).</summary>
    public DateTime? CreatedFrom { get; init; }

    /// <summary>Gets the latest creation time to include (UTC).</summary>
    public DateTime? CreatedTo { get; init; }

    /// <summary>Gets the statuses to include; all when <c>null</c> or empty.</summary>
    public IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses { get; init; }

    /// <summary>Gets the orchestrator name to include.</summary>
    public string? Name { get; init; }

    /// <summary>Gets the instance id prefix to include.</summary>
    public string? InstanceIdPrefix { get; init; }

    /// <summary>Gets the most instances one page holds.</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>Gets the token from the previous page, or <c>null</c> for the first page.</summary>
    public string? ContinuationToken { get; init; }

    /// <summary>Gets a value indicating whether to load input, output and custom status.</summary>
    public bool FetchInputsAndOutputs { get; init; }
}

/// <summary>One page of a listing, with the token for the next page (<c>null</c> on the last).</summary>
/// <param name="Instances">The instances, oldest first.</param>
/// <param name="ContinuationToken">The token for the next page, or <c>null</c>.</param>
public sealed record OrchestrationQueryPage(IReadOnlyList<OrchestrationMetadata> Instances, string? ContinuationToken);

/// <summary>Which finished instances to purge.</summary>
/// <param name="CreatedFrom">The earliest creation time to include (UTC).</param>
/// <param name="CreatedTo">The latest creation time to include (UTC).</param>
/// <param name="Statuses">Terminal statuses to include; all terminal ones when <c>null</c>.</param>
public sealed record PurgeInstancesFilter(
    DateTime? CreatedFrom = null,
    DateTime? CreatedTo = null,
    IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses = null);

/// <summary>How many instances a purge removed.</summary>
/// <param name="PurgedInstanceCount">The number of instances removed.</param>
public sealed record PurgeResult(int PurgedInstanceCount);

/// <summary>Options for starting an instance.</summary>
public sealed record StartOrchestrationOptions
{
    /// <summary>Gets the instance id to use; a new one is generated when <c>null</c>.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Gets the time the instance should start at (UTC); now when <c>null</c>.</summary>
    public DateTime? StartAt { get; init; }
}
