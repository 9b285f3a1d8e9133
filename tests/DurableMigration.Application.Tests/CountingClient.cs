using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Core = DurableTask.Core;

namespace DurableMigration.Application.Tests;

/// <summary>A client that passes every call to another and counts the reads: single-instance reads, instance-query pages and history reads.</summary>
internal sealed class CountingClient(DurableTaskClient inner) : DurableTaskClient("counting")
{
    private int _instanceReads;
    private int _queryPages;
    private int _historyReads;

    public int InstanceReads => _instanceReads;

    public int QueryPages => _queryPages;

    public int HistoryReads => _historyReads;

    public void Reset()
    {
        _instanceReads = 0;
        _queryPages = 0;
        _historyReads = 0;
    }

    public override Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        Interlocked.Increment(ref _instanceReads);
        return inner.GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation);
    }

    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) =>
        Pageable.Create(async (string? continuation, int? pageSize, CancellationToken cancellation) =>
        {
            Interlocked.Increment(ref _queryPages);
            await foreach (var page in inner.GetAllInstancesAsync(filter).AsPages(continuation, pageSize).WithCancellation(cancellation))
            {
                return page;
            }

            return new Page<OrchestrationMetadata>([], null);
        });

    public override Task<IList<Core.History.HistoryEvent>> GetOrchestrationHistoryAsync(string instanceId, CancellationToken cancellation = default)
    {
        Interlocked.Increment(ref _historyReads);
        return inner.GetOrchestrationHistoryAsync(instanceId, cancellation);
    }

    public override Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default) =>
        inner.ScheduleNewOrchestrationInstanceAsync(orchestratorName, input, options, cancellation);

    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        inner.WaitForInstanceStartAsync(instanceId, getInputsAndOutputs, cancellation);

    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        inner.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs, cancellation);

    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default) =>
        inner.RaiseEventAsync(instanceId, eventName, eventPayload, cancellation);

    public override Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default) =>
        inner.TerminateInstanceAsync(instanceId, options, cancellation);

    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        inner.SuspendInstanceAsync(instanceId, reason, cancellation);

    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        inner.ResumeInstanceAsync(instanceId, reason, cancellation);

    public override Task<Microsoft.DurableTask.Client.PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default) =>
        inner.PurgeInstanceAsync(instanceId, options, cancellation);

    public override Task<Microsoft.DurableTask.Client.PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default) =>
        inner.PurgeAllInstancesAsync(filter, options, cancellation);

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
