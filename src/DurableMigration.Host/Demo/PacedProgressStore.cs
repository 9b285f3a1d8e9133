using DurableMigration.Migration;
using DurableMigration.Providers;

namespace DurableMigration.Host.Demo;

/// <summary>Slows the demo's copies so that its live table can be watched: the copying thread pauses after each progress report.</summary>
/// <remarks>
/// The copy reports on its own thread from inside SQLite (every <c>ProgressBatchRows</c> rows), so a pause there holds
/// the copy itself back; the rows, checks and timings that follow are real. Demo only: a migration is never paced.
/// </remarks>
internal sealed class PacedProgressStore(IMigrationProgressStore inner, TimeSpan pause) : IMigrationProgressStore
{
    /// <inheritdoc/>
    public void Report(string waveId, string database, CopyProgress progress)
    {
        inner.Report(waveId, database, progress);
        Thread.Sleep(pause);
    }

    /// <inheritdoc/>
    public Task<CopyProgress?> GetAsync(string waveId, string database, CancellationToken cancellationToken = default) => inner.GetAsync(waveId, database, cancellationToken);
}
