using Microsoft.Win32.SafeHandles;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Flushes a file to disk every few milliseconds while another writer fills it, so the writer's final sync finds little left.</summary>
/// <remarks>
/// The data copy writes without fsync (<c>PRAGMA synchronous = OFF</c>) and syncs once at the end. Left alone, the
/// operating system would hold hundreds of megabytes of dirty pages for that one sync to write while the copy
/// waits; flushing from a second thread overlaps that disk work with the copy. Flushing only makes written pages
/// durable sooner; it never changes the file. Dispose this only after the SQLite connection to the file is closed:
/// closing any descriptor of a file drops the process's POSIX locks on it, including SQLite's.
/// </remarks>
internal sealed class BackgroundFlush : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    private readonly SafeFileHandle _handle;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Opens <paramref name="path"/> and starts flushing it.</summary>
    public BackgroundFlush(string path)
    {
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Stops flushing and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _handle.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                RandomAccess.FlushToDisk(_handle);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        catch (IOException)
        {
            // Nothing to do here: the copy's own final sync reports a failing disk.
        }
    }
}
