using DurableMigration.Migration;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Host.Console;

/// <summary>A wave as operators see it: the wave instance, its live status or result, and each started database's live status.</summary>
/// <param name="Wave">The wave instance.</param>
/// <param name="Status">The wave's custom status.</param>
/// <param name="Result">The wave's output, once finished.</param>
/// <param name="Databases">Live status of each database that has started.</param>
internal sealed record WaveView(
    OrchestrationMetadata Wave,
    WaveStatus? Status,
    WaveResult? Result,
    IReadOnlyDictionary<string, DatabaseStatus> Databases)
{
    /// <summary>Loads the view of <paramref name="waveId"/>, or <c>null</c> when there is no such wave.</summary>
    public static async Task<WaveView?> LoadAsync(DurableTaskClient client, string waveId, CancellationToken cancellationToken)
    {
        var wave = await client.GetInstanceAsync(waveId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        if (wave is null)
        {
            return null;
        }

        var status = wave.ReadCustomStatusAs<WaveStatus>();
        var result = wave.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? wave.ReadOutputAs<WaveResult>() : null;
        var databases = new Dictionary<string, DatabaseStatus>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, state) in status?.Databases ?? new Dictionary<string, DatabaseState>())
        {
            if (state is DatabaseState.Pending or DatabaseState.AwaitingDependencies or DatabaseState.Validating or DatabaseState.Skipped)
            {
                continue;
            }

            var child = await client.GetInstanceAsync(MigrationNames.DatabaseInstanceId(waveId, name), getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
            if (child?.ReadCustomStatusAs<DatabaseStatus>() is { } live)
            {
                databases[name] = live;
            }
        }

        return new WaveView(wave, status, result, databases);
    }

    /// <summary>Gets the state of a database: the live one while its orchestration runs, else the wave's record.</summary>
    public DatabaseState StateOf(string database)
    {
        if (Result?.Databases.FirstOrDefault(d => string.Equals(d.Database, database, StringComparison.OrdinalIgnoreCase)) is { } final)
        {
            return final.State;
        }

        var recorded = Status?.Databases.TryGetValue(database, out var s) == true ? s : DatabaseState.Pending;
        return recorded == DatabaseState.Migrating && Databases.TryGetValue(database, out var live) ? live.State : recorded;
    }

    /// <summary>Gets the database names in the wave's order.</summary>
    public IEnumerable<string> DatabaseNames =>
        Result?.Databases.Select(d => d.Database) ?? Status?.Databases.Keys ?? Enumerable.Empty<string>();
}
