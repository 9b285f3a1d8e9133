using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace DurableMigration.Host.Hosting;

/// <summary>The process that hosts the engine on a data directory, as its lock record names it.</summary>
/// <param name="Pid">Its process id.</param>
/// <param name="Host">The machine it runs on.</param>
/// <param name="Since">When it took the lock.</param>
/// <param name="Command">The command it runs (<c>dmig run wave.json</c>).</param>
/// <param name="StartTicks">Its process start time in UTC ticks, so a reused process id is not mistaken for it.</param>
internal sealed record EngineRunner(int Pid, string Host, DateTimeOffset Since, string Command, long StartTicks)
{
    /// <summary>Gets a short description for people: <c>process 123 on host h since 2026-11-30 20:01:15 UTC (dmig run wave.json)</c>.</summary>
    public string Description => string.Create(
        CultureInfo.InvariantCulture,
        $"process {Pid} on host {Host} since {Since.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC ({Command})");

    /// <summary>Gets a value indicating whether the record names a process on this machine that no longer runs (or whose id was reused).</summary>
    public bool IsDeadOnThisMachine
    {
        get
        {
            if (!string.Equals(Host, Environment.MachineName, StringComparison.Ordinal))
            {
                return false; // Another machine: only its lock can tell.
            }

            try
            {
                using var process = Process.GetProcessById(Pid);
                return process.StartTime.ToUniversalTime().Ticks != StartTicks;
            }
            catch (ArgumentException)
            {
                return true;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }
}

/// <summary>
/// The OS lock a process holds on its data directory while it hosts the engine there, so other commands can tell
/// whether a live process is running the in-flight waves and never start a second engine beside it.
/// </summary>
/// <remarks>
/// <para>
/// <c>engine.lock</c> is opened with <see cref="FileShare.None"/>: an exclusive share mode on Windows and an exclusive
/// <c>flock</c> on Linux and macOS, which .NET takes for <see cref="FileShare.None"/> and which conflicts between
/// separate opens even within one process. The OS drops it when the process dies, however it dies, so a crashed
/// process's files never block. <c>engine.json</c> names the holder (pid, host, start time, command); it lives apart
/// because the locked file cannot be opened by anyone else. The lock, not the record, says who runs.
/// </para>
/// <para>
/// Probing the lock takes it for an instant, so a process acquiring it at that moment can fail once: a failure
/// whose record names no live process is retried briefly. <c>flock</c> over NFS is not reliable; keep the data
/// directory on a local disk.
/// </para>
/// </remarks>
internal sealed class EngineLock : IDisposable
{
    /// <summary>The lock file's name in the data directory.</summary>
    public const string LockFileName = "engine.lock";

    /// <summary>The holder record's name in the data directory.</summary>
    public const string RecordFileName = "engine.json";

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(50);
    private const int Attempts = 20;

    private readonly FileStream _lock;
    private readonly string _recordPath;

    private EngineLock(FileStream lockStream, string recordPath, EngineRunner runner)
    {
        _lock = lockStream;
        _recordPath = recordPath;
        Runner = runner;
    }

    /// <summary>Gets the record this process wrote.</summary>
    public EngineRunner Runner { get; }

    /// <summary>Takes the lock of <paramref name="dataDirectory"/> for this process, or returns the live process that holds it.</summary>
    public static async Task<(EngineLock? Lock, EngineRunner? Holder)> TryAcquireAsync(string dataDirectory, string command, CancellationToken cancellationToken = default)
    {
        for (int attempt = 1; ; attempt++)
        {
            if (TryOpen(dataDirectory, FileMode.OpenOrCreate) is { } stream)
            {
                using var self = Process.GetCurrentProcess();
                var runner = new EngineRunner(Environment.ProcessId, Environment.MachineName, DateTimeOffset.UtcNow, command, self.StartTime.ToUniversalTime().Ticks);
                string recordPath = Path.Combine(dataDirectory, RecordFileName);
                string temporary = recordPath + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
                await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(runner, DmigHost.JsonOptions), cancellationToken).ConfigureAwait(false);
                File.Move(temporary, recordPath, overwrite: true);
                return (new EngineLock(stream, recordPath, runner), null);
            }

            if (await HolderAsync(dataDirectory, attempt, cancellationToken).ConfigureAwait(false) is { } holder)
            {
                return (null, holder);
            }
        }
    }

    /// <summary>The live process hosting the engine on <paramref name="dataDirectory"/>, or <c>null</c> when none does.</summary>
    public static async Task<EngineRunner?> FindLiveAsync(string dataDirectory, CancellationToken cancellationToken = default)
    {
        for (int attempt = 1; ; attempt++)
        {
            // Open, not create: reading commands leave the data directory as they found it.
            using (var probe = TryOpen(dataDirectory, FileMode.Open))
            {
                if (probe is not null || !File.Exists(Path.Combine(dataDirectory, LockFileName)))
                {
                    return null;
                }
            }

            if (await HolderAsync(dataDirectory, attempt, cancellationToken).ConfigureAwait(false) is { } holder)
            {
                return holder;
            }
        }
    }

    /// <summary>Deletes the record, then releases the lock (in that order, so a successor's record is never deleted).</summary>
    public void Dispose()
    {
        try
        {
            File.Delete(_recordPath);
        }
        catch (IOException)
        {
            // The lock decides who runs; a record left behind is overwritten by the next holder.
        }

        _lock.Dispose();
    }

    /// <summary>
    /// After a failed open: the holder when its record names a live process, or after the last attempt whatever the
    /// record says; <c>null</c> (after a pause) to try again, because a probe may have held the lock for an instant.
    /// </summary>
    private static async Task<EngineRunner?> HolderAsync(string dataDirectory, int attempt, CancellationToken cancellationToken)
    {
        var record = ReadRecord(dataDirectory);
        if (record is not null && !record.IsDeadOnThisMachine)
        {
            return record;
        }

        if (attempt >= Attempts)
        {
            return record ?? new EngineRunner(0, "unknown", DateTimeOffset.UtcNow, "unknown", 0);
        }

        await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
        return null;
    }

    private static FileStream? TryOpen(string dataDirectory, FileMode mode)
    {
        try
        {
            return new FileStream(Path.Combine(dataDirectory, LockFileName), mode, FileAccess.ReadWrite, FileShare.None);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (IOException ex) when (ex is not DirectoryNotFoundException)
        {
            return null; // Held by another open (EWOULDBLOCK on Unix, a sharing violation on Windows).
        }
    }

    private static EngineRunner? ReadRecord(string dataDirectory)
    {
        try
        {
            return JsonSerializer.Deserialize<EngineRunner>(File.ReadAllText(Path.Combine(dataDirectory, RecordFileName)), DmigHost.JsonOptions);
        }
        catch (IOException)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
