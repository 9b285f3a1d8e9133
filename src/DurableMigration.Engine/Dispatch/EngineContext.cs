using DurableMigration.Engine.Storage;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Engine.Dispatch;

/// <summary>What the dispatchers and the client of one engine share.</summary>
internal sealed class EngineContext(
    TaskHubStore store,
    TaskCatalog tasks,
    IServiceProvider services,
    DataConverter converter,
    ILoggerFactory loggerFactory,
    TimeProvider timeProvider,
    EngineSignals signals,
    DurableEngineOptions options)
{
    public TaskHubStore Store { get; } = store;

    public TaskCatalog Tasks { get; } = tasks;

    public IServiceProvider Services { get; } = services;

    public DataConverter Converter { get; } = converter;

    public ILoggerFactory LoggerFactory { get; } = loggerFactory;

    public EngineSignals Signals { get; } = signals;

    public DurableEngineOptions Options { get; } = options;

    /// <summary>Gets the activities turns lease straight to this process's activity workers.</summary>
    public ActivityHandoff Handoff { get; } = new(options.MaxConcurrentActivities);

    /// <summary>Gets this process's worker id: machine, process id and start time, so a later process can tell the owner is gone.</summary>
    public string WorkerId { get; } = WorkerIdentity.Create();

    public DateTime UtcNow => timeProvider.GetUtcNow().UtcDateTime;

    /// <summary>How long an idle orchestration worker sleeps: until the next timer, at most the polling interval.</summary>
    public async Task<TimeSpan> NextOrchestrationWakeAsync(CancellationToken cancellationToken)
    {
        DateTime now = UtcNow;
        DateTime? next = await Store.GetNextMessageVisibleTimeAsync(now, cancellationToken).ConfigureAwait(false);
        TimeSpan delay = next is { } at ? at - now : Options.MaxPollingInterval;
        return delay < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : delay > Options.MaxPollingInterval ? Options.MaxPollingInterval : delay;
    }
}
