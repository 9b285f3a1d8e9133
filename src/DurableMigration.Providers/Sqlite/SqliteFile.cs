using System.Text;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Sqlite;

/// <summary>A SQLite database file named by a resolved connection string, and the connection strings this provider opens it with.</summary>
/// <remarks>
/// <para>
/// Connections are built here rather than taken as given: pooling is always off, because a pooled handle would keep
/// a deleted target alive (on Unix it would go on writing to the unlinked file) and keep files open after a step.
/// </para>
/// <para>
/// Locks: every connection waits for a lock another connection holds through SQLite's own busy handler
/// (<c>sqlite3_busy_timeout</c>: it polls after 1, 2, 5, 10 ... 100 ms) for at most the lock timeout, then fails with
/// SQLITE_BUSY, which the provider reports as <see cref="DatabaseLockedException"/>. Microsoft.Data.Sqlite's own retry
/// loop (150 ms sleeps until the command timeout) is cut to one second so that it adds nothing after the busy handler
/// gave up: the connection string's <c>Default Timeout</c> is not used.
/// </para>
/// </remarks>
internal sealed class SqliteFile
{
    private readonly TimeSpan _lockTimeout;

    private SqliteFile(string path, TimeSpan lockTimeout)
    {
        Path = path;
        _lockTimeout = lockTimeout;
    }

    /// <summary>Gets how long a statement waits for a lock held by another connection.</summary>
    public TimeSpan LockTimeout => _lockTimeout;

    /// <summary>Gets the file's full path: a secret like the connection string it came from; never put it in a message or a log.</summary>
    public string Path { get; }

    /// <summary>Gets the file name alone: what messages may show.</summary>
    public string FileName => System.IO.Path.GetFileName(Path);

    /// <summary>Gets the files SQLite keeps beside the database: write-ahead log, shared memory, rollback journal.</summary>
    public IEnumerable<string> SidecarPaths => [Path + "-wal", Path + "-shm", Path + "-journal"];

    /// <summary>Gets a value indicating whether the database file exists.</summary>
    public bool Exists => File.Exists(Path);

    /// <summary>Gets the file as a SQLite URI (<c>file:///...</c>), which ATTACH needs to take <c>?mode=ro</c>.</summary>
    public string Uri
    {
        get
        {
            string path = Path.Replace('\\', '/');
            if (!path.StartsWith('/'))
            {
                path = "/" + path; // Windows drive paths: file:///C:/...
            }

            var uri = new StringBuilder("file://", path.Length + 16);
            foreach (char c in path)
            {
                // Only these three would be misread in a SQLite URI path; everything else may stay as it is.
                _ = c switch
                {
                    '%' => uri.Append("%25"),
                    '?' => uri.Append("%3F"),
                    '#' => uri.Append("%23"),
                    _ => uri.Append(c),
                };
            }

            return uri.ToString();
        }
    }

    /// <summary>Reads the database file out of a resolved connection string.</summary>
    /// <exception cref="PermanentDatabaseProviderException">The string is not a SQLite connection string naming a file.</exception>
    public static SqliteFile Parse(string connectionString, string database, string role, TimeSpan? lockTimeout = null)
    {
        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(connectionString);
        }
#pragma warning disable CA1031 // Whatever the parser throws quotes the string; the message must not, so every failure becomes the same plain one.
        catch (Exception)
#pragma warning restore CA1031
        {
            throw new PermanentDatabaseProviderException(database, $"Database '{database}': the {role} connection is not a valid SQLite connection string (\"Data Source=<file>\").");
        }

        string dataSource = builder.DataSource;
        if (builder.Mode == SqliteOpenMode.Memory || string.IsNullOrWhiteSpace(dataSource) || dataSource.Trim() == ":memory:")
        {
            throw new PermanentDatabaseProviderException(database, $"Database '{database}': the {role} connection must name a database file; in-memory databases cannot be migrated.");
        }

        string path = dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? PathOfUri(dataSource) : dataSource;
        try
        {
            path = System.IO.Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new PermanentDatabaseProviderException(database, $"Database '{database}': the {role} connection names an invalid file path.");
        }

        return new SqliteFile(path, lockTimeout ?? TimeSpan.FromSeconds(4));
    }

    /// <summary>Reads the database file out of a resolved connection string, or returns <c>null</c> when it names none.</summary>
    public static SqliteFile? TryParse(string connectionString)
    {
        try
        {
            return Parse(connectionString, string.Empty, string.Empty);
        }
        catch (PermanentDatabaseProviderException)
        {
            return null;
        }
    }

    /// <summary>Opens the file in <paramref name="mode"/>, waiting at most <see cref="LockTimeout"/> for another connection's lock.</summary>
    /// <param name="mode">How to open it.</param>
    /// <param name="byUri">Open it by URI, so that the connection accepts URI file names in ATTACH (<c>?mode=ro</c>).</param>
    public SqliteConnection Open(SqliteOpenMode mode, bool byUri = false)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = byUri ? Uri : Path,
            Mode = mode,
            Pooling = false,
            DefaultTimeout = 1,
        }.ToString());
        try
        {
            connection.Open();
            SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, (int)Math.Clamp(_lockTimeout.TotalMilliseconds, 0, int.MaxValue));
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Gets the file beside this one named like it plus <paramref name="suffix"/>, with the same lock timeout.</summary>
    public SqliteFile WithSuffix(string suffix) => new(Path + suffix, _lockTimeout);

    /// <summary>Tells whether this file and <paramref name="other"/> are the same file.</summary>
    public bool IsSameFileAs(SqliteFile other) =>
        string.Equals(Path, other.Path, OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>Deletes the file and its sidecars; missing ones (and a missing folder) are fine.</summary>
    public void Delete()
    {
        if (!Directory.Exists(System.IO.Path.GetDirectoryName(Path)))
        {
            return;
        }

        File.Delete(Path);
        foreach (string sidecar in SidecarPaths)
        {
            File.Delete(sidecar);
        }
    }

    // file:path?query#fragment, file:///path, file://localhost/path: the path, percent-decoded.
    private static string PathOfUri(string uri)
    {
        string rest = uri[5..];
        int end = rest.IndexOfAny(['?', '#']);
        if (end >= 0)
        {
            rest = rest[..end];
        }

        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            int slash = rest.IndexOf('/', 2);
            rest = slash < 0 ? string.Empty : rest[slash..];
        }

        rest = System.Uri.UnescapeDataString(rest);
        if (rest.Length >= 3 && rest[0] == '/' && rest[2] == ':')
        {
            rest = rest[1..]; // /C:/x.db on Windows
        }

        return rest;
    }
}
