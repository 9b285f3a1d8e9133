using System.Collections.Concurrent;
using DurableMigration.Providers;

namespace DurableMigration.Migration;

/// <summary>Latest copy progress per database, written by the copy activity and read by the monitor loop's progress activity.</summary>
/// <remarks>
/// The copy reports from its own thread, inside the provider's copy loop, so <see cref="Report"/> must not block on I/O:
/// a store that writes elsewhere (a table on the app's storage account, where activities run on other instances) keeps
/// the latest value and writes it in the background. Reading is asynchronous because such a store reads over the network.
/// </remarks>
public interface IMigrationProgressStore
{
    /// <summary>Records the latest progress of a copy; returns without waiting for any I/O.</summary>
    void Report(string waveId, string database, CopyProgress progress);

    /// <summary>Gets the latest progress of a copy, or <c>null</c> if none was reported (or none arrived yet).</summary>
    Task<CopyProgress?> GetAsync(string waveId, string database, CancellationToken cancellationToken = default);
}

/// <summary>Progress kept in memory: enough where activities and orchestrations share a process, as on the embedded runtime.</summary>
/// <remarks>Progress is informational; losing it in a crash only blanks the progress bar until the next batch.</remarks>
public sealed class InMemoryMigrationProgressStore : IMigrationProgressStore
{
    private readonly ConcurrentDictionary<(string, string), CopyProgress> _progress = new();

    /// <inheritdoc/>
    public void Report(string waveId, string database, CopyProgress progress) => _progress[(waveId, database)] = progress;

    /// <inheritdoc/>
    public Task<CopyProgress?> GetAsync(string waveId, string database, CancellationToken cancellationToken = default) =>
        Task.FromResult(_progress.TryGetValue((waveId, database), out var progress) ? progress : null);
}
