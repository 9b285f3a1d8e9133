using System.CommandLine;
using DurableMigration.Backends.AzureStorage;
using DurableMigration.Engine;
using DurableMigration.Host.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Host.Commands;

/// <summary>Where a <c>dmig</c> command keeps its state and how durably: the options every command takes.</summary>
/// <param name="DataDirectory">The data directory's full path.</param>
/// <param name="DataDirectorySource">Where that path came from: <c>--data-dir</c>, <c>DMIG_DATA_DIR</c> or the default.</param>
/// <param name="Durability">What a committed step survives (<c>--durability</c>).</param>
internal sealed record HostSettings(string DataDirectory, string DataDirectorySource, TaskHubDurability Durability)
{
    /// <summary>The environment variable naming the data directory when <c>--data-dir</c> is not given.</summary>
    public const string DataDirectoryVariable = "DMIG_DATA_DIR";

    /// <summary>The data directory when neither <c>--data-dir</c> nor <c>DMIG_DATA_DIR</c> names one, under the current directory.</summary>
    public const string DefaultDataDirectory = ".dmig";

    /// <summary>Gets which runtime runs the waves (<c>--backend</c>, else <c>DMIG_BACKEND</c>; the embedded one by default).</summary>
    public BackendSettings Backend { get; init; } = BackendSettings.Embedded;

    public static HostSettings From(ParseResult parse, Option<string?> dataDir, Option<TaskHubDurability> durability)
    {
        var (path, source) = parse.GetValue(dataDir) is { Length: > 0 } given
            ? (given, "--data-dir")
            : Environment.GetEnvironmentVariable(DataDirectoryVariable) is { Length: > 0 } fromEnvironment
                ? (fromEnvironment, DataDirectoryVariable)
                : (DefaultDataDirectory, "the default, ./" + DefaultDataDirectory);
        return new(Path.GetFullPath(path), source, parse.GetValue(durability));
    }

    /// <summary>
    /// Gets a value indicating whether the data directory holds a task hub (some command created it before); on a remote
    /// backend the task hub is in the storage account, so the data directory (logs, registry) is created when needed.
    /// </summary>
    public bool DataDirectoryExists => Backend.Kind != BackendKind.Embedded || File.Exists(Path.Combine(DataDirectory, DmigHost.TaskHubFileName));

    public DmigHost CreateHost(Action<IServiceCollection>? configure) => Backend.Kind == BackendKind.Embedded
        ? DmigHost.Create(DataDirectory, configure, o => o.Durability = Durability)
        : DmigHost.CreateForAzureStorage(DataDirectory, Backend.ToOptions(), configure);
}

/// <summary>The runtimes waves can run on.</summary>
public enum BackendKind
{
    /// <summary>The embedded runtime over a SQLite file in the data directory (the default).</summary>
    Embedded,

    /// <summary>The Durable Task Framework over an Azure Storage task hub, run by <c>dmig worker</c> processes.</summary>
    AzureStorage,
}

/// <summary>The runtime a command works with, and for Azure Storage which account and task hub.</summary>
/// <param name="Kind">The runtime.</param>
/// <param name="Account">The storage account (Azure Storage only).</param>
/// <param name="TaskHub">The task hub's name (Azure Storage only).</param>
internal sealed record BackendSettings(BackendKind Kind, StorageAccount? Account, string TaskHub)
{
    /// <summary>The environment variable choosing the backend when <c>--backend</c> is not given.</summary>
    public const string BackendVariable = "DMIG_BACKEND";

    /// <summary>The environment variable holding the storage connection when <c>--connection</c> is not given.</summary>
    public const string ConnectionVariable = "DMIG_STORAGE";

    /// <summary>The environment variable naming the task hub when <c>--hub</c> is not given.</summary>
    public const string HubVariable = "DMIG_HUB";

    /// <summary>The task hub's name when neither <c>--hub</c> nor <c>DMIG_HUB</c> names one.</summary>
    public const string DefaultHub = "dmig";

    /// <summary>The embedded runtime.</summary>
    public static readonly BackendSettings Embedded = new(BackendKind.Embedded, null, DefaultHub);

    /// <summary>Gets the worker's tuning (<c>dmig worker</c> sets it; clients keep the defaults but the partition count).</summary>
    public Action<AzureStorageBackendOptions>? Tune { get; init; }

    /// <summary>The Azure Storage backend's options for this account and hub, with dmig's data converter.</summary>
    public AzureStorageBackendOptions ToOptions()
    {
        var options = new AzureStorageBackendOptions { Account = Account, TaskHubName = TaskHub, DataConverter = DmigHost.DataConverter };
        Tune?.Invoke(options);
        return options;
    }
}
