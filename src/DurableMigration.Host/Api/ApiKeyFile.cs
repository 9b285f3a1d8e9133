using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace DurableMigration.Host.Api;

/// <summary>The key of <c>dmig serve</c>'s HTTP API, like a function key: one file in the data directory, readable by its owner only.</summary>
/// <remarks>
/// The server compares against the file's current key on every request (re-read only when the file changed), so
/// <c>dmig keys rotate</c> takes effect without a restart. Comparison hashes both sides and compares the hashes in
/// constant time, so neither the key's content nor its length leaks through timing.
/// </remarks>
internal sealed class ApiKeyFile(string dataDirectory)
{
    /// <summary>The key file's name in the data directory.</summary>
    public const string FileName = "api-key";

    private readonly Lock _gate = new();
    private (DateTime WrittenAt, byte[] Hash)? _current;

    /// <summary>Gets the key file's full path.</summary>
    public string FilePath { get; } = Path.Combine(Path.GetFullPath(dataDirectory), FileName);

    /// <summary>Reads the key, creating it first when there is none; <c>Created</c> says whether it was just made (and so should be shown once).</summary>
    public async Task<(string Key, bool Created)> EnsureAsync(CancellationToken cancellationToken = default)
    {
        if (await ReadAsync(cancellationToken).ConfigureAwait(false) is { } key)
        {
            return (key, false);
        }

        return (await RotateAsync(cancellationToken).ConfigureAwait(false), true);
    }

    /// <summary>Reads the key, or <c>null</c> when there is no key file.</summary>
    public async Task<string?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(FilePath))
        {
            return null;
        }

        string key = (await File.ReadAllTextAsync(FilePath, cancellationToken).ConfigureAwait(false)).Trim();
        return key.Length == 0 ? null : key;
    }

    /// <summary>Replaces the key with a new random one and returns it; the old key stops working at once.</summary>
    public async Task<string> RotateAsync(CancellationToken cancellationToken = default)
    {
        string key = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        string temporary = FilePath + "." + Environment.ProcessId + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // Created owner-only, never widened afterwards: no moment where another user could read it.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(temporary, options);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(key + "\n"), cancellationToken).ConfigureAwait(false);
        }

        // A rename is atomic: a server re-reading the file sees the old key or the new one, never half of one.
        File.Move(temporary, FilePath, overwrite: true);
        return key;
    }

    /// <summary>Whether <paramref name="presented"/> is the current key; <c>false</c> when there is no key file.</summary>
    public bool Matches(string? presented)
    {
        if (string.IsNullOrEmpty(presented) || CurrentHash() is not { } expected)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), expected);
    }

    private byte[]? CurrentHash()
    {
        DateTime writtenAt;
        try
        {
            writtenAt = File.GetLastWriteTimeUtc(FilePath);
        }
        catch (IOException)
        {
            return null;
        }

        lock (_gate)
        {
            if (_current is { } cached && cached.WrittenAt == writtenAt)
            {
                return cached.Hash;
            }

            string key;
            try
            {
                key = File.ReadAllText(FilePath).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }

            if (key.Length == 0)
            {
                return null;
            }

            _current = (writtenAt, SHA256.HashData(Encoding.UTF8.GetBytes(key)));
            return _current.Value.Hash;
        }
    }
}
