using DurableMigration.Backends.AzureStorage.Worker;
using DurableMigration.Providers;

namespace DurableMigration.Host.Hosting;

/// <summary>The Azure Storage worker's stopping signal as the activities' shutdown port: a long copy hands its work item back.</summary>
internal sealed class TaskHubWorkerShutdown(AzureStorageTaskHubWorker worker) : IWorkerShutdown
{
    /// <inheritdoc/>
    public CancellationToken Token => worker.Stopping;
}
