using System.Runtime.InteropServices;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Replaces a file by another in one rename, and makes the rename itself survive a power cut.</summary>
/// <remarks>
/// A rename within a folder is atomic: readers see the old file or the new one, never a mix. It becomes durable only
/// once the folder is synced; .NET has no call for that, so on Linux and macOS the folder is opened and fsynced here.
/// </remarks>
internal static partial class FileReplacement
{
    private const int ReadOnly = 0; // O_RDONLY

    /// <summary>Moves <paramref name="source"/> over <paramref name="destination"/> and syncs their folder.</summary>
    public static void Replace(string source, string destination)
    {
        File.Move(source, destination, overwrite: true);
        if ((OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && Path.GetDirectoryName(destination) is { Length: > 0 } folder)
        {
            int descriptor = Open(folder, ReadOnly);
            if (descriptor < 0)
            {
                throw new IOException($"Cannot open the folder of '{Path.GetFileName(destination)}' to sync it (errno {Marshal.GetLastPInvokeError()}).");
            }

            try
            {
                if (Sync(descriptor) != 0)
                {
                    throw new IOException($"Cannot sync the folder of '{Path.GetFileName(destination)}' (errno {Marshal.GetLastPInvokeError()}).");
                }
            }
            finally
            {
                _ = Close(descriptor);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Sync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
