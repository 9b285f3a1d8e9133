using DurableMigration.Engine.Dispatch;
using DurableMigration.Engine.History;
using DurableMigration.Engine.Storage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Core = DurableTask.Core;

namespace DurableMigration.Engine.Client;

/// <summary>The embedded runtime's <see cref="DurableTaskClient"/>, over the SQLite task hub.</summary>
/// <remarks>
/// Works with or without a running engine in the same process; another process's engine on the same file picks the
/// work up within its polling interval. Events, terminate, suspend and resume sent to an instance that does not exist
/// or has finished are dropped, as Durable Functions does; use <c>GetInstanceAsync</c>
/// first when the caller must know. Restart, rewind and entities are not supported.
/// </remarks>
public sealed class SqliteDurableTaskClient : DurableTaskClient
{
    private static readonly TimeSpan CompletionPollInterval = TimeSpan.FromMilliseconds(250);
    private readonly TaskHubStore _store;
    private readonly DataConverter _converter;
    private readonly TimeProvider _time;
    private readonly EngineSignals _signals;

    internal SqliteDurableTaskClient(TaskHubStore store, DataConverter converter, TimeProvider time, EngineSignals signals)
        : base("embedded")
    {
        _store = store;
        _converter = converter;
        _time = time;
        _signals = signals;
    }

    private DateTime UtcNow => _time.GetUtcNow().UtcDateTime;

    /// <inheritdoc/>
    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orchestratorName.Name, nameof(orchestratorName));
        string instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        ValidateInstanceId(instanceId);
        DateTime now = UtcNow;
        DateTime startAt = options?.StartAt?.UtcDateTime ?? now;
        string? version = options?.Version?.Version is { Length: > 0 } v ? v : null;
        await _store.CreateInstanceAsync(instanceId, orchestratorName.Name, _converter.Serialize(input), version, Guid.NewGuid().ToString("N"), now, startAt, cancellation).ConfigureAwait(false);
        _signals.OrchestrationWork.Pulse();
        _signals.InstanceStateChanged.Pulse();
        return instanceId;
    }

    /// <inheritdoc/>
    public override async Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        var record = await _store.GetInstanceAsync(instanceId, getInputsAndOutputs, cancellation).ConfigureAwait(false);
        return record?.ToMetadata(_converter);
    }

    /// <inheritdoc/>
    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitForAsync(instanceId, m => m.RuntimeStatus != OrchestrationRuntimeStatus.Pending, getInputsAndOutputs, cancellation);

    /// <inheritdoc/>
    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitForAsync(instanceId, m => m.RuntimeStatus.IsTerminal(), getInputsAndOutputs, cancellation);

    /// <inheritdoc/>
    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        return EnqueueAsync(instanceId, new EventRaisedEvent(eventName, _converter.Serialize(eventPayload)) { Timestamp = UtcNow }, cancellation);
    }

    /// <inheritdoc/>
    public override async Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        string? output = _converter.Serialize(options?.Output);
        var targets = new List<string> { instanceId };
        if (options?.Recursive == true)
        {
            targets.AddRange(await _store.GetDescendantsAsync(instanceId, liveOnly: true, cancellation).ConfigureAwait(false));
        }

        foreach (string target in targets)
        {
            await EnqueueAsync(target, new ExecutionTerminatedEvent(output) { Timestamp = UtcNow }, cancellation).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        EnqueueAsync(instanceId, new ExecutionSuspendedEvent(reason) { Timestamp = UtcNow }, cancellation);

    /// <inheritdoc/>
    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        EnqueueAsync(instanceId, new ExecutionResumedEvent(reason) { Timestamp = UtcNow }, cancellation);

    /// <inheritdoc/>
    public override async Task<PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        var ids = new List<string> { instanceId };
        if (options?.Recursive == true)
        {
            ids.AddRange(await _store.GetDescendantsAsync(instanceId, liveOnly: false, cancellation).ConfigureAwait(false));
        }

        return new PurgeResult(await _store.PurgeAsync(ids, null, cancellation).ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public override async Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return new PurgeResult(await _store.PurgeAsync(null, filter, cancellation).ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null)
    {
        var query = filter ?? new OrchestrationQuery();
        return Pageable.Create(async (string? continuation, int? pageSize, CancellationToken cancellation) =>
        {
            var (page, next) = await _store.QueryAsync(
                query with { ContinuationToken = continuation ?? query.ContinuationToken, PageSize = pageSize ?? query.PageSize },
                cancellation).ConfigureAwait(false);
            return new Page<OrchestrationMetadata>([.. page.Select(r => r.ToMetadata(_converter))], next);
        });
    }

    /// <inheritdoc/>
    /// <remarks>The events are the Durable Task Framework's history types, mapped from the task hub's own records.</remarks>
    public override async Task<IList<Core.History.HistoryEvent>> GetOrchestrationHistoryAsync(string instanceId, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        var history = await _store.LoadHistoryAsync(instanceId, cancellation).ConfigureAwait(false);
        return [.. history.Select((e, i) => HistoryMapping.ToCore(e, i))];
    }

    /// <inheritdoc/>
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<OrchestrationMetadata> WaitForAsync(string instanceId, Func<OrchestrationMetadata, bool> done, bool getInputsAndOutputs, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        while (true)
        {
            Task changed = _signals.InstanceStateChanged.Next;
            // Poll without payloads (a wave's input is its whole manifest); read them once, at the end.
            var metadata = await GetInstancesAsync(instanceId, getInputsAndOutputs: false, cancellation).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"No orchestration instance with id '{instanceId}' exists.");
            if (done(metadata))
            {
                return getInputsAndOutputs
                    ? await GetInstancesAsync(instanceId, getInputsAndOutputs: true, cancellation).ConfigureAwait(false) ?? metadata
                    : metadata;
            }

            // The pulse covers this process's engine; the poll covers an engine in another process.
            await WorkSignal.WaitAsync(changed, CompletionPollInterval, cancellation).ConfigureAwait(false);
        }
    }

    private async Task EnqueueAsync(string instanceId, HistoryEvent message, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        await _store.EnqueueForLiveInstanceAsync(instanceId, message, message.Timestamp, cancellation).ConfigureAwait(false);
        _signals.OrchestrationWork.Pulse();
    }

    private static void ValidateInstanceId(string instanceId)
    {
        if (instanceId.Length > 256 || instanceId.Any(char.IsControl) || string.IsNullOrWhiteSpace(instanceId))
        {
            throw new ArgumentException($"Instance id '{instanceId}' is not valid: use 1 to 256 printable characters.", nameof(instanceId));
        }
    }
}
