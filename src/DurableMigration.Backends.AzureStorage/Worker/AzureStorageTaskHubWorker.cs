using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Backends.AzureStorage.Worker;

/// <summary>A worker of the task hub: a Durable Task Framework <see cref="TaskHubWorker"/> over Azure Storage running the registry's SDK orchestrators and activities.</summary>
/// <remarks>
/// Any number of workers, on one machine or many, share the hub: orchestrations are spread over the hub's partitions
/// (control queues), each leased by one worker at a time; activities go to whichever worker dequeues them first.
/// Stopping signals <see cref="Stopping"/> first (long activities hand their work item back), then lets the framework
/// finish or abandon the work items in hand; a killed worker's messages reappear after their visibility timeout and its
/// partitions move when its leases expire.
/// </remarks>
public sealed class AzureStorageTaskHubWorker : IHostedService, IAsyncDisposable
{
    private readonly AzureStorageBackendOptions _options;
    private readonly DurableTaskRegistry _registry;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private TaskHubWorker? _worker;

    /// <summary>Initializes the worker; nothing connects until <see cref="StartAsync"/>.</summary>
    public AzureStorageTaskHubWorker(AzureStorageBackendOptions options, DurableTaskRegistry registry, IServiceProvider services, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options;
        _registry = registry;
        _services = services;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("DurableMigration.Backends.AzureStorage.Worker");
        WorkerId = options.WorkerId ?? $"{Environment.MachineName}-{Environment.ProcessId}";
    }

    /// <summary>Gets this worker's name in leases and logs.</summary>
    public string WorkerId { get; }

    /// <summary>Gets a token cancelled when the worker begins to stop: long activities watch it to hand their work back.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Creates the hub if it is missing and starts taking work.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_worker is not null)
        {
            return;
        }

        if (_registry.GetEntities().Any())
        {
            throw new NotSupportedException("Durable entities are not hosted by this worker; register orchestrators and activities only.");
        }

        var options = new AzureStorageBackendOptions
        {
            Account = _options.Account,
            TaskHubName = _options.TaskHubName,
            DataConverter = _options.DataConverter,
            PartitionCount = _options.PartitionCount,
            MaxQueuePollingInterval = _options.MaxQueuePollingInterval,
            MaxConcurrentActivities = _options.MaxConcurrentActivities,
            MaxConcurrentOrchestrations = _options.MaxConcurrentOrchestrations,
            MessageVisibilityTimeout = _options.MessageVisibilityTimeout,
            LeaseInterval = _options.LeaseInterval,
            WorkerId = WorkerId,
        };
        var service = new AzureStorageOrchestrationService(options.ToSettings(_loggerFactory));
        await service.CreateIfNotExistsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);

        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions { DataConverter = _options.DataConverter }, _loggerFactory);
        var orchestrations = RegistryCreators.Orchestrations(_registry, _services, shims);
        var activities = RegistryCreators.Activities(_registry, _services, shims, _logger, WorkerId, _stopping.Token);
        var worker = new TaskHubWorker(service, _loggerFactory)
        {
            // The SDK's shims read failures as FailureDetails (type, message, inner failure), as Durable Functions does.
            ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
        };
        worker.AddOrchestrationDispatcherMiddleware(BindParentAsync);
        worker.AddTaskOrchestrations([.. orchestrations]);
        worker.AddTaskActivities([.. activities]);
        await worker.StartAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        _worker = worker;
        Logs.WorkerStarted(_logger, WorkerId, _options.TaskHubName, _options.Account?.Description ?? "?", orchestrations.Count, activities.Count);
    }

    /// <summary>Stops taking work: long activities hand theirs back, the framework finishes or abandons the rest.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_worker is not { } worker)
        {
            return;
        }

        _worker = null;
        Logs.WorkerStopping(_logger, WorkerId);
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            // Not forced: the dispatchers stop fetching and wait for the work items in hand, within the host's shutdown time.
            await worker.StopAsync(isForced: false).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Out of shutdown time: what is still in hand reappears for another worker after its visibility timeout.
        }

        Logs.WorkerStopped(_logger, WorkerId);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private static Task BindParentAsync(DurableTask.Core.Middleware.DispatchMiddlewareContext context, Func<Task> next)
    {
        if (context.GetProperty<TaskOrchestration>() is ShimmedOrchestration orchestration
            && context.GetProperty<OrchestrationRuntimeState>() is { ParentInstance: { } parent })
        {
            orchestration.BindParent(new ParentOrchestrationInstance(new TaskName(parent.Name), parent.OrchestrationInstance.InstanceId));
        }

        return next();
    }
}
