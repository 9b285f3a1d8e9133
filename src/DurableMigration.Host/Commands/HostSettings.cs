using System.CommandLine;
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

    public static HostSettings From(ParseResult parse, Option<string?> dataDir, Option<TaskHubDurability> durability)
    {
        var (path, source) = parse.GetValue(dataDir) is { Length: > 0 } given
            ? (given, "--data-dir")
            : Environment.GetEnvironmentVariable(DataDirectoryVariable) is { Length: > 0 } fromEnvironment
                ? (fromEnvironment, DataDirectoryVariable)
                : (DefaultDataDirectory, "the default, ./" + DefaultDataDirectory);
        return new(Path.GetFullPath(path), source, parse.GetValue(durability));
    }

    /// <summary>Gets a value indicating whether the data directory holds a task hub (some command created it before).</summary>
    public bool DataDirectoryExists => File.Exists(Path.Combine(DataDirectory, DmigHost.TaskHubFileName));

    public DmigHost CreateHost(Action<IServiceCollection>? configure) =>
        DmigHost.Create(DataDirectory, configure, o => o.Durability = Durability);
}
