using DurableMigration.Client;
using DurableMigration.Engine.Dispatch;
using DurableMigration.Engine.History;
using DurableMigration.Engine.Serialization;
using DurableMigration.Engine.Storage;

namespace DurableMigration.Engine.Client;

/// <summary>The <see cref="IOrchestrationClient"/> of the embedded runtime, over the SQLite task hub.</summary>
/// <remarks>Works with or without a running engine in the same process; another process's engine on the same file picks the work up within its polling interval.</remarks>
public sealed class SqliteOrchestrationClient : IOrchestrationClient
{
    private static readonly TimeSpan CompletionPollInterval = TimeSpan.FromMilliseconds(250);
    private readonly TaskHubStore _store;
    private readonly JsonDataConverter _converter;
    private readonly TimeProvider _time;
    private readonly EngineSignals _signals;

    internal SqliteOrchestrationClient(TaskHubStore store, JsonDataConverter converter, TimeProvider time, EngineSignals signals)
    {
        _store = store;
        _converter = converter;
        _time = time;
        _signals = signals;
    }

    private DateTime UtcNow => _time.GetUtcNow().UtcDateTime;

    /// <inheritdoc/>
    public async Task<string> ScheduleNewOrchestrationInstanceAsync(string orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orchestratorName);
        string instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        ValidateInstanceId(instanceId);
        DateTime now = UtcNow;
        DateTime startAt = options?.StartAt?.ToUniversalTime() ?? now;
        await _store.CreateInstanceAsync(instanceId, orchestratorName, _converter.Serialize(input), Guid.NewGuid().ToString("N"), now, startAt, cancellationToken).ConfigureAwait(false);
        _signals.OrchestrationWork.Pulse();
        _signals.InstanceStateChanged.Pulse();
        return instanceId;
    }

    /// <inheritdoc/>
    public async Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        var record = await _store.GetInstanceAsync(instanceId, getInputsAndOutputs, cancellationToken).ConfigureAwait(false);
        return record?.ToMetadata();
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<OrchestrationHistoryEvent>> GetInstanceHistoryAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        return _store.GetHistoryAsync(instanceId, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        while (true)
        {
            Task changed = _signals.InstanceStateChanged.Next;
            // Poll without payloads (a wave's input is its whole manifest); read them once, at the end.
            var metadata = await GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false)
                ?? throw new OrchestrationNotFoundException(instanceId);
            if (metadata.IsCompleted)
            {
                return getInputsAndOutputs
                    ? await GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false) ?? metadata
                    : metadata;
            }

            // The pulse covers this process's engine; the poll covers an engine in another process.
            await WorkSignal.WaitAsync(changed, CompletionPollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        return EnqueueAsync(instanceId, new EventRaisedEvent(eventName, _converter.Serialize(eventPayload)) { Timestamp = UtcNow }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task TerminateInstanceAsync(string instanceId, object? output = null, CancellationToken cancellationToken = default) =>
        EnqueueAsync(instanceId, new ExecutionTerminatedEvent(_converter.Serialize(output)) { Timestamp = UtcNow }, cancellationToken);

    /// <inheritdoc/>
    public Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default) =>
        EnqueueAsync(instanceId, new ExecutionSuspendedEvent(reason) { Timestamp = UtcNow }, cancellationToken);

    /// <inheritdoc/>
    public Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default) =>
        EnqueueAsync(instanceId, new ExecutionResumedEvent(reason) { Timestamp = UtcNow }, cancellationToken);

    /// <inheritdoc/>
    public async Task<PurgeResult> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        return new PurgeResult(await _store.PurgeAsync(instanceId, null, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public async Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return new PurgeResult(await _store.PurgeAsync(null, filter, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public async Task<OrchestrationQueryPage> GetAllInstancesAsync(OrchestrationQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (page, token) = await _store.QueryAsync(query, cancellationToken).ConfigureAwait(false);
        return new OrchestrationQueryPage([.. page.Select(r => r.ToMetadata())], token);
    }

    private async Task EnqueueAsync(string instanceId, HistoryEvent message, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        await _store.EnqueueForLiveInstanceAsync(instanceId, message, message.Timestamp, cancellationToken).ConfigureAwait(false);
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
