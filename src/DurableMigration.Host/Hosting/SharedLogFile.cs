using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace DurableMigration.Host.Hosting;

/// <summary>A log file that several processes append to at once (<c>dmig run</c>, <c>dmig worker</c>s, <c>dmig serve</c>) without overwriting each other's lines.</summary>
/// <remarks>
/// .NET's <see cref="FileMode.Append"/> only seeks to the end when the file is opened; each process then writes at its own
/// offset, so two processes on one data directory overwrite each other's lines. On Linux the file is opened with
/// <c>O_APPEND</c> instead, so every <c>write(2)</c> lands at the end of the file as it is then.
/// </remarks>
internal sealed partial class SharedLogFile : IDisposable
{
    private const int OpenWriteOnly = 0x1;
    private const int OpenCreate = 0x40;
    private const int OpenAppend = 0x400;
    private const int OpenCloseOnExec = 0x80000;
    private const int Interrupted = 4;

    private readonly SafeFileHandle? _appendOnly;
    private readonly FileStream? _fallback;

    public SharedLogFile(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            int descriptor = Open(path, OpenWriteOnly | OpenCreate | OpenAppend | OpenCloseOnExec, Convert.ToInt32("644", 8));
            if (descriptor < 0)
            {
                throw new IOException($"Cannot open log file {path}: {Marshal.GetLastPInvokeErrorMessage()}");
            }

            _appendOnly = new SafeFileHandle(descriptor, ownsHandle: true);
        }
        else
        {
            _fallback = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        }
    }

    /// <summary>Appends one line (and a newline) in a single write.</summary>
    public void AppendLine(string line) => Append(line + "\n");

    /// <summary>Appends <paramref name="text"/> (whole lines, each ending with a newline) in a single write.</summary>
    public void Append(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        if (_fallback is not null)
        {
            _fallback.Write(bytes);
            _fallback.Flush();
            return;
        }

        int written = 0;
        while (written < bytes.Length)
        {
            nint result = Write(_appendOnly!, bytes.AsSpan(written), bytes.Length - written);
            if (result < 0)
            {
                if (Marshal.GetLastPInvokeError() == Interrupted)
                {
                    continue;
                }

                throw new IOException($"Cannot write the log: {Marshal.GetLastPInvokeErrorMessage()}");
            }

            written += (int)result;
        }
    }

    public void Dispose()
    {
        _appendOnly?.Dispose();
        _fallback?.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(SafeFileHandle descriptor, ReadOnlySpan<byte> buffer, nint count);
}
