using System.Runtime.InteropServices;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Runs work on a dedicated thread that, on Linux, yields the CPU to every ordinary thread (nice 19): it uses only cycles nothing else wants.</summary>
/// <remarks>
/// A thread's niceness cannot be lowered again without privileges, so the thread is never a pool thread: it ends with
/// the work. Elsewhere, or where <c>setpriority</c> fails, the work runs at normal priority.
/// </remarks>
internal static partial class IdleThread
{
    /// <summary>Starts <paramref name="work"/> on a new idle-priority thread.</summary>
    public static Task<T> Run<T>(Func<T> work)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            LowerPriority();
            try
            {
                completion.SetResult(work());
            }
            catch (Exception ex)
            {
                completion.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "dmig idle hashing",
        };
        thread.Start();
        return completion.Task;
    }

    private static void LowerPriority()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                _ = SetPriority(0, GetThreadId(), 19); // PRIO_PROCESS with a thread id: this thread alone
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                // normal priority then
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}
