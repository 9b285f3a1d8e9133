using DurableTask.AzureStorage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;

namespace DurableMigration.Backends.AzureStorage;

/// <summary>Where the task hub lives and how workers and clients use it.</summary>
/// <remarks>
/// Workers and clients of one task hub must agree on <see cref="TaskHubName"/>, the account and
/// <see cref="PartitionCount"/> (fixed when the hub is created), and on <see cref="DataConverter"/> (payloads are written
/// by one process and read by another). The polling and lease settings trade storage transactions for latency; the
/// defaults are Durable Functions' except the polling interval, lowered from 30 s so an idle hub answers within seconds.
/// </remarks>
public sealed class AzureStorageBackendOptions
{
    /// <summary>Gets or sets the storage account holding the task hub.</summary>
    public StorageAccount? Account { get; set; }

    /// <summary>Gets or sets the task hub's name: 3 to 45 letters and digits, starting with a letter (tables, queues and containers are named after it).</summary>
    public string TaskHubName { get; set; } = "dmig";

    /// <summary>Gets or sets the converter of inputs, outputs, events and custom status; every process of the hub must use the same.</summary>
    public DataConverter DataConverter { get; set; } = JsonDataConverter.Default;

    /// <summary>Gets or sets how many control queues (partitions) orchestrations spread over; at most 16, fixed when the hub is created.</summary>
    public int PartitionCount { get; set; } = 4;

    /// <summary>Gets or sets the longest wait between polls of an idle queue.</summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how many activities one worker runs at once.</summary>
    public int MaxConcurrentActivities { get; set; } = 10;

    /// <summary>Gets or sets how many orchestration turns one worker runs at once.</summary>
    public int MaxConcurrentOrchestrations { get; set; } = 10;

    /// <summary>Gets or sets how long a dequeued message stays invisible to other workers: a killed worker's work reappears after it.</summary>
    public TimeSpan? MessageVisibilityTimeout { get; set; }

    /// <summary>Gets or sets how long a worker's lease on a partition lasts unless renewed: a killed worker's partitions move after it.</summary>
    public TimeSpan? LeaseInterval { get; set; }

    /// <summary>Gets or sets this worker's name in leases and logs (default: machine name and process id).</summary>
    public string? WorkerId { get; set; }

    /// <summary>Builds the Durable Task Framework's settings.</summary>
    internal AzureStorageOrchestrationServiceSettings ToSettings(Microsoft.Extensions.Logging.ILoggerFactory loggerFactory)
    {
        var account = Account ?? throw new InvalidOperationException("No storage account is configured for the Azure Storage backend.");
        var settings = new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = TaskHubName,
            StorageAccountClientProvider = account.CreateClientProvider(),
            PartitionCount = PartitionCount,
            MaxQueuePollingInterval = MaxQueuePollingInterval,
            MaxConcurrentTaskActivityWorkItems = MaxConcurrentActivities,
            MaxConcurrentTaskOrchestrationWorkItems = MaxConcurrentOrchestrations,
            WorkerId = WorkerId ?? $"{Environment.MachineName}-{Environment.ProcessId}",
            LoggerFactory = loggerFactory,
        };
        if (MessageVisibilityTimeout is { } visibility)
        {
            settings.ControlQueueVisibilityTimeout = visibility;
            settings.WorkItemQueueVisibilityTimeout = visibility;
        }

        if (LeaseInterval is { } lease)
        {
            settings.LeaseInterval = lease;
            settings.LeaseRenewInterval = lease / 3;
            settings.LeaseAcquireInterval = lease / 3;
        }

        return settings;
    }
}
