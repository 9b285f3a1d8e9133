using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.History;
using DurableTask.Core.Query;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using PurgeResult = Microsoft.DurableTask.Client.PurgeResult;
using SdkQuery = Microsoft.DurableTask.Client.OrchestrationQuery;

namespace DurableMigration.Backends.AzureStorage.Client;

/// <summary>A <see cref="DurableTaskClient"/> over a task hub on Azure Storage, through the Durable Task Framework's client interfaces.</summary>
/// <remarks>
/// Payloads are written and read with the <see cref="DataConverter"/> of <see cref="AzureStorageBackendOptions"/>, the
/// same the workers use, so a status reads the same on every backend. It needs no running worker in this process: the
/// hub's workers, wherever they run, pick requests up from the hub's queues. Events, terminate, suspend and resume sent
/// to an instance that does not exist or has finished are dropped by the workers, as in Durable Functions. Recursive
/// terminate and purge follow the sub-orchestrations recorded in each instance's history. Restart, rewind and entities
/// are not supported.
/// </remarks>
public sealed class AzureStorageDurableTaskClient : DurableTaskClient
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly OrchestrationStatus[] LiveStatuses =
        [OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.ContinuedAsNew, OrchestrationStatus.Suspended];

    private static readonly JsonSerializer HistorySerializer = JsonSerializer.Create(new JsonSerializerSettings
    {
        ConstructorHandling = ConstructorHandling.AllowNonPublicDefaultConstructor,
    });

    private readonly AzureStorageOrchestrationService _service;
    private readonly DataConverter _converter;
    private readonly SemaphoreSlim _creating = new(1, 1);
    private volatile bool _created;

    /// <summary>Initializes a client of the hub <paramref name="options"/> names.</summary>
    public AzureStorageDurableTaskClient(AzureStorageBackendOptions options, Microsoft.Extensions.Logging.ILoggerFactory loggerFactory)
        : base("azure-storage")
    {
        ArgumentNullException.ThrowIfNull(options);
        _service = new AzureStorageOrchestrationService(options.ToSettings(loggerFactory));
        _converter = options.DataConverter;
        TaskHubName = options.TaskHubName;
    }

    /// <summary>Gets the task hub's name.</summary>
    public string TaskHubName { get; }

    /// <inheritdoc/>
    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orchestratorName.Name, nameof(orchestratorName));
        await EnsureHubAsync(cancellation).ConfigureAwait(false);
        string instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        var started = new ExecutionStartedEvent(-1, _converter.Serialize(input))
        {
            Name = orchestratorName.Name,
            Version = options?.Version?.Version ?? string.Empty,
            OrchestrationInstance = new OrchestrationInstance { InstanceId = instanceId, ExecutionId = Guid.NewGuid().ToString("N") },
            ScheduledStartTime = options?.StartAt?.UtcDateTime,
            Tags = options?.Tags is { Count: > 0 } tags ? new Dictionary<string, string>(tags) : null,
        };

        // A live instance with the id refuses the start (OrchestrationAlreadyExistsException), as the embedded runtime does.
        await _service.CreateTaskOrchestrationAsync(new TaskMessage { Event = started, OrchestrationInstance = started.OrchestrationInstance }, LiveStatuses)
            .WaitAsync(cancellation).ConfigureAwait(false);
        return instanceId;
    }

    /// <inheritdoc/>
    public override async Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        await EnsureHubAsync(cancellation).ConfigureAwait(false);
        var states = await _service.GetOrchestrationStateAsync(instanceId, allExecutions: false, fetchInput: getInputsAndOutputs).WaitAsync(cancellation).ConfigureAwait(false);
        return states.FirstOrDefault(s => s is not null) is { } state ? StateMapping.ToMetadata(state, _converter, getInputsAndOutputs) : null;
    }

    /// <inheritdoc/>
    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitForAsync(instanceId, m => m.RuntimeStatus != OrchestrationRuntimeStatus.Pending, getInputsAndOutputs, cancellation);

    /// <inheritdoc/>
    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitForAsync(instanceId, m => m.IsCompleted, getInputsAndOutputs, cancellation);

    /// <inheritdoc/>
    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        return SendAsync(instanceId, new EventRaisedEvent(-1, _converter.Serialize(eventPayload)) { Name = eventName }, cancellation);
    }

    /// <inheritdoc/>
    public override async Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        await EnsureHubAsync(cancellation).ConfigureAwait(false);
        var targets = new List<string> { instanceId };
        if (options?.Recursive == true)
        {
            targets.AddRange(await DescendantsAsync(instanceId, liveOnly: true, cancellation).ConfigureAwait(false));
        }

        string? output = _converter.Serialize(options?.Output);
        foreach (string target in targets)
        {
            await _service.ForceTerminateTaskOrchestrationAsync(target, output).WaitAsync(cancellation).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionSuspendedEvent(-1, reason), cancellation);

    /// <inheritdoc/>
    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionResumedEvent(-1, reason), cancellation);

    /// <inheritdoc/>
    public override async Task<PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        await EnsureHubAsync(cancellation).ConfigureAwait(false);
        var ids = new List<string>();
        if (options?.Recursive == true)
        {
            ids.AddRange(await DescendantsAsync(instanceId, liveOnly: false, cancellation).ConfigureAwait(false));
        }

        ids.Add(instanceId);
        int purged = 0;
        foreach (string id in ids)
        {
            var result = await ((IOrchestrationServicePurgeClient)_service).PurgeInstanceStateAsync(id).WaitAsync(cancellation).ConfigureAwait(false);
            purged += result.DeletedInstanceCount;
        }

        return new PurgeResult(purged);
    }

    /// <inheritdoc/>
    public override async Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await EnsureHubAsync(cancellation).ConfigureAwait(false);
        var result = await ((IOrchestrationServicePurgeClient)_service).PurgeInstanceStateAsync(new PurgeInstanceFilter(
            filter.CreatedFrom?.UtcDateTime ?? DateTime.MinValue,
            filter.CreatedTo?.UtcDateTime,
            filter.Statuses?.Select(StateMapping.ToCoreStatus))).WaitAsync(cancellation).ConfigureAwait(false);
        return new PurgeResult(result.DeletedInstanceCount);
    }

    /// <inheritdoc/>
    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(SdkQuery? filter = null)
    {
        var query = filter ?? new SdkQuery();
        return Pageable.Create(async (string? continuation, int? pageSize, CancellationToken cancellation) =>
        {
            await EnsureHubAsync(cancellation).ConfigureAwait(false);
            var result = await _service.GetOrchestrationWithQueryAsync(
                new DurableTask.Core.Query.OrchestrationQuery
                {
                    RuntimeStatus = query.Statuses?.Select(StateMapping.ToCoreStatus).ToList(),
                    CreatedTimeFrom = query.CreatedFrom?.UtcDateTime,
                    CreatedTimeTo = query.CreatedTo?.UtcDateTime,
                    InstanceIdPrefix = query.InstanceIdPrefix,
                    PageSize = pageSize ?? query.PageSize,
                    ContinuationToken = continuation ?? query.ContinuationToken,
                    FetchInputsAndOutputs = query.FetchInputsAndOutputs,
                },
                cancellation).ConfigureAwait(false);
            return new Page<OrchestrationMetadata>(
                [.. result.OrchestrationState.Select(s => StateMapping.ToMetadata(s, _converter, query.FetchInputsAndOutputs))],
                result.ContinuationToken);
        });
    }

    /// <inheritdoc/>
    /// <remarks>The Azure Storage backend returns the history as JSON; each event is read back as its framework type by its <c>EventType</c>.</remarks>
    public override async Task<IList<HistoryEvent>> GetOrchestrationHistoryAsync(string instanceId, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        await EnsureHubAsync(cancellation).ConfigureAwait(false);
        string json = await _service.GetOrchestrationHistoryAsync(instanceId, null).WaitAsync(cancellation).ConfigureAwait(false);
        var events = new List<HistoryEvent>();
        foreach (var token in JArray.Parse(json).OfType<JObject>())
        {
            if (token["EventType"] is { } type && HistoryTypes.TryGetValue((EventType)type.Value<int>(), out var clrType)
                && token.ToObject(clrType, HistorySerializer) is HistoryEvent historyEvent)
            {
                events.Add(historyEvent);
            }
        }

        return events;
    }

    /// <inheritdoc/>
    public override ValueTask DisposeAsync()
    {
        _creating.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Creates the hub's tables, queues and containers when missing (once per client): a client may come before any worker.</summary>
    public async Task EnsureHubAsync(CancellationToken cancellation = default)
    {
        if (_created)
        {
            return;
        }

        await _creating.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            if (!_created)
            {
                await _service.CreateIfNotExistsAsync().WaitAsync(cancellation).ConfigureAwait(false);
                _created = true;
            }
        }
        finally
        {
            _creating.Release();
        }
    }

    private static readonly Dictionary<EventType, Type> HistoryTypes = new()
    {
        [EventType.ExecutionStarted] = typeof(ExecutionStartedEvent),
        [EventType.ExecutionCompleted] = typeof(ExecutionCompletedEvent),
        [EventType.ExecutionFailed] = typeof(ExecutionCompletedEvent),
        [EventType.ExecutionTerminated] = typeof(ExecutionTerminatedEvent),
        [EventType.ExecutionSuspended] = typeof(ExecutionSuspendedEvent),
        [EventType.ExecutionResumed] = typeof(ExecutionResumedEvent),
        [EventType.TaskScheduled] = typeof(TaskScheduledEvent),
        [EventType.TaskCompleted] = typeof(TaskCompletedEvent),
        [EventType.TaskFailed] = typeof(TaskFailedEvent),
        [EventType.SubOrchestrationInstanceCreated] = typeof(SubOrchestrationInstanceCreatedEvent),
        [EventType.SubOrchestrationInstanceCompleted] = typeof(SubOrchestrationInstanceCompletedEvent),
        [EventType.SubOrchestrationInstanceFailed] = typeof(SubOrchestrationInstanceFailedEvent),
        [EventType.TimerCreated] = typeof(TimerCreatedEvent),
        [EventType.TimerFired] = typeof(TimerFiredEvent),
        [EventType.OrchestratorStarted] = typeof(OrchestratorStartedEvent),
        [EventType.OrchestratorCompleted] = typeof(OrchestratorCompletedEvent),
        [EventType.EventSent] = typeof(EventSentEvent),
        [EventType.EventRaised] = typeof(EventRaisedEvent),
        [EventType.ContinueAsNew] = typeof(ContinueAsNewEvent),
        [EventType.GenericEvent] = typeof(GenericEvent),
        [EventType.HistoryState] = typeof(HistoryStateEvent),
    };

    private async Task SendAsync(string instanceId, HistoryEvent message, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        await EnsureHubAsync(cancellation).ConfigureAwait(false);
        await _service.SendTaskOrchestrationMessageAsync(new TaskMessage
        {
            OrchestrationInstance = new OrchestrationInstance { InstanceId = instanceId },
            Event = message,
        }).WaitAsync(cancellation).ConfigureAwait(false);
    }

    private async Task<OrchestrationMetadata> WaitForAsync(string instanceId, Func<OrchestrationMetadata, bool> done, bool getInputsAndOutputs, CancellationToken cancellation)
    {
        while (true)
        {
            var metadata = await GetInstancesAsync(instanceId, getInputsAndOutputs: false, cancellation).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"No orchestration instance with id '{instanceId}' exists.");
            if (done(metadata))
            {
                return getInputsAndOutputs
                    ? await GetInstancesAsync(instanceId, getInputsAndOutputs: true, cancellation).ConfigureAwait(false) ?? metadata
                    : metadata;
            }

            await Task.Delay(PollInterval, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>The sub-orchestrations started by <paramref name="instanceId"/>, and theirs, deepest first.</summary>
    private async Task<List<string>> DescendantsAsync(string instanceId, bool liveOnly, CancellationToken cancellation)
    {
        var found = new List<string>();
        foreach (var created in (await GetOrchestrationHistoryAsync(instanceId, cancellation).ConfigureAwait(false)).OfType<SubOrchestrationInstanceCreatedEvent>())
        {
            if (string.IsNullOrEmpty(created.InstanceId) || found.Contains(created.InstanceId))
            {
                continue;
            }

            var child = await GetInstancesAsync(created.InstanceId, cancellation: cancellation).ConfigureAwait(false);
            if (child is null || (liveOnly && child.IsCompleted))
            {
                continue;
            }

            found.AddRange(await DescendantsAsync(created.InstanceId, liveOnly, cancellation).ConfigureAwait(false));
            found.Add(created.InstanceId);
        }

        return found;
    }
}
