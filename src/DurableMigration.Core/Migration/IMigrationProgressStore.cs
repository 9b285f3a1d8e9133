using System.Collections.Concurrent;
using DurableMigration.Providers;

namespace DurableMigration.Migration;

/// <summary>Latest copy progress per database, written by the copy activity and read by the monitor loop's progress activity.</summary>
public interface IMigrationProgressStore
{
    /// <summary>Records the latest progress of a copy.</summary>
    void Report(string waveId, string database, CopyProgress progress);

    /// <summary>Gets the latest progress of a copy, or <c>null</c> if none was reported.</summary>
    CopyProgress? Get(string waveId, string database);
}

/// <summary>Progress kept in memory: enough where activities and orchestrations share a process, as on the embedded runtime.</summary>
/// <remarks>Progress is informational; losing it in a crash only blanks the progress bar until the next batch.</remarks>
public sealed class InMemoryMigrationProgressStore : IMigrationProgressStore
{
    private readonly ConcurrentDictionary<(string, string), CopyProgress> _progress = new();

    /// <inheritdoc/>
    public void Report(string waveId, string database, CopyProgress progress) => _progress[(waveId, database)] = progress;

    /// <inheritdoc/>
    public CopyProgress? Get(string waveId, string database) => _progress.TryGetValue((waveId, database), out var progress) ? progress : null;
}
