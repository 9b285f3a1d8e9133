using System.Diagnostics;
using System.Globalization;

namespace DurableMigration.Engine.Dispatch;

/// <summary>Names a worker as <c>machine/pid/start-ticks/nonce</c> and tells whether such a worker's process is gone.</summary>
internal static class WorkerIdentity
{
    /// <summary>True when <paramref name="workerId"/> names a process on this machine that no longer runs (or whose id was reused).</summary>
    public static bool IsDeadProcessOnThisMachine(string workerId)
    {
        string[] parts = workerId.Split('/');
        if (parts.Length != 4 || parts[0] != Environment.MachineName
            || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int pid)
            || !long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out long startTicks))
        {
            return false; // Another machine's worker, or a format we do not know: only its lease can tell.
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime().Ticks != startTicks;
        }
        catch (ArgumentException)
        {
            return true; // No process with that id.
        }
        catch (InvalidOperationException)
        {
            return true; // It exited while we looked.
        }
    }

    /// <summary>Creates a new worker id for this process; each engine gets its own.</summary>
    public static string Create()
    {
        using var self = Process.GetCurrentProcess();
        string nonce = Guid.NewGuid().ToString("N")[..8];
        return string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}/{Environment.ProcessId}/{self.StartTime.ToUniversalTime().Ticks}/{nonce}");
    }
}
