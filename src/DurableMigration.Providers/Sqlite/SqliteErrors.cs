using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Turns SQLite and file-system failures into provider exceptions: retriable or not, and without secrets.</summary>
internal static class SqliteErrors
{
    /// <summary>SQLITE_ERROR: a SQL or schema error.</summary>
    public const int Error = 1;

    /// <summary>SQLITE_READONLY: a write on a read-only connection (such as a hot-journal rollback).</summary>
    public const int ReadOnly = 8;

    /// <summary>SQLITE_INTERRUPT: the statement was interrupted (cancellation).</summary>
    public const int Interrupt = 9;

    /// <summary>SQLITE_CORRUPT.</summary>
    public const int Corrupt = 11;

    /// <summary>SQLITE_NOTADB.</summary>
    public const int NotADatabase = 26;

    /// <summary>SQLITE_BUSY: another connection holds a lock this one needs.</summary>
    public const int Busy = 5;

    /// <summary>SQLITE_CANTOPEN: the file cannot be opened or created.</summary>
    public const int CannotOpen = 14;

    private const int Locked = 6;
    private const int NoMemory = 7;
    private const int IoError = 10;
    private const int Full = 13;
    private const int Protocol = 15;

    /// <summary>Tells whether SQLite could not read the file as a database at all.</summary>
    public static bool IsUnreadable(SqliteException exception) => exception.SqliteErrorCode is Corrupt or NotADatabase;

    /// <summary>Translates <paramref name="exception"/>, raised while <paramref name="operation"/> ran, into what the caller should see.</summary>
    /// <returns>The exception to throw: provider exceptions and cancellations unchanged, SQLite and I/O failures wrapped with secrets removed.</returns>
    /// <remarks>Messages are one line: SQLite's own text is kept whole, with line breaks turned into spaces.</remarks>
    public static Exception Translate(Exception exception, string database, string operation, Redaction redaction, CancellationToken cancellationToken, LockScope? lockScope = null)
    {
        switch (exception)
        {
            case OperationCanceledException or DatabaseProviderException:
                return exception;
            case SqliteException { SqliteErrorCode: Interrupt } when cancellationToken.IsCancellationRequested:
                return new OperationCanceledException(cancellationToken);
            case SqliteException { SqliteErrorCode: Busy or Locked } busy:
            {
                string detail = OneLine(redaction.Apply(busy.Message, out bool redacted));
                return LockError(database, operation, lockScope, detail, redacted ? null : busy);
            }

            case SqliteException sqlite:
            {
                string detail = OneLine(redaction.Apply(sqlite.Message, out bool redacted));
                string message = $"Database '{database}': {operation} failed: {detail}";
                var inner = redacted ? null : sqlite;
                bool transient = sqlite.SqliteErrorCode is Busy or Locked or NoMemory or IoError or Full or Protocol;
                return transient
                    ? new DatabaseProviderException(database, message, inner)
                    : new PermanentDatabaseProviderException(database, message + Advice(sqlite.SqliteErrorCode), inner);
            }

            case UnauthorizedAccessException access:
            {
                string detail = OneLine(redaction.Apply(access.Message, out bool redacted));
                return new PermanentDatabaseProviderException(database, $"Database '{database}': {operation} failed: {detail}", redacted ? null : access);
            }

            case IOException io:
            {
                string detail = OneLine(redaction.Apply(io.Message, out bool redacted));
                return new DatabaseProviderException(database, $"Database '{database}': {operation} failed: {detail}", redacted ? null : io);
            }

            default:
                return exception;
        }
    }

    /// <summary>Returns <paramref name="text"/> on one line: line breaks become spaces.</summary>
    public static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    /// <summary>Describes a lock another connection kept past the lock timeout: which file, which lock, who likely holds it, what to do.</summary>
    public static DatabaseLockedException LockError(string database, string operation, LockScope? scope, string detail, Exception? inner)
    {
        if (scope is null)
        {
            return new DatabaseLockedException(database, $"Database '{database}': {operation} failed: a database file is locked by another connection ({detail}). Retry when that connection has committed or closed; the step is retryable.", "unknown", inner);
        }

        var (lockName, holder) = Diagnose(scope);
        string seconds = scope.File.LockTimeout.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
        string message = $"Database '{database}': {operation} failed: the {scope.Role} file '{scope.File.FileName}' is locked: another connection holds the {lockName} lock ({holder}) and kept it for more than {seconds} s. "
            + $"Retry when that connection has committed or closed; the step is retryable ({detail}).";
        return new DatabaseLockedException(database, message, lockName, inner);
    }

    /// <summary>Names the lock that blocked an access, from what the access needed and the files beside the database.</summary>
    /// <remarks>
    /// Only file existence is looked at: opening the database file on a second descriptor and closing it would drop
    /// this process's POSIX locks on it, SQLite's included. In rollback-journal mode a reader is blocked only by a
    /// PENDING or EXCLUSIVE lock (a writer committing, or a connection in EXCLUSIVE locking mode), a writer also by
    /// RESERVED (an open write transaction); in WAL mode a reader only by EXCLUSIVE locking mode, a writer by the WAL
    /// write lock of an open write transaction.
    /// </remarks>
    private static (string Lock, string Holder) Diagnose(LockScope scope)
    {
        bool wal = File.Exists(scope.File.Path + "-wal");
        bool journal = File.Exists(scope.File.Path + "-journal");
        if (!scope.Write)
        {
            return wal
                ? ("EXCLUSIVE", "a connection in EXCLUSIVE locking mode, or one recovering the write-ahead log")
                : ("PENDING or EXCLUSIVE", journal
                    ? "a write transaction that is committing or holds more changes than fit its cache: the rollback journal exists"
                    : "a writer committing, or a connection in EXCLUSIVE locking mode");
        }

        return wal
            ? ("WAL write", "an open write transaction on another connection")
            : ("RESERVED", "an open write transaction on another connection" + (journal ? ": the rollback journal exists" : string.Empty));
    }

    private static string Advice(int code) => code switch
    {
        Corrupt or NotADatabase => " The file is not a SQLite database or is corrupt; restore it from a backup.",
        CannotOpen => " The file cannot be opened or created: check that its folder exists and is writable, and that the path names a file.",
        ReadOnly => " The file or its folder is read-only.",
        _ => string.Empty,
    };
}

/// <summary>What a provider step was doing when a lock stopped it: which file, in which role, reading or writing.</summary>
/// <param name="File">The file.</param>
/// <param name="Role"><c>source</c> or <c>target</c>.</param>
/// <param name="Write">Whether the step needed to write (a write lock) rather than read.</param>
internal sealed record LockScope(SqliteFile File, string Role, bool Write);

/// <summary>Replaces secrets (connection strings, full paths) in messages with what may be shown (a placeholder, a file name).</summary>
internal sealed class Redaction
{
    private readonly List<(string Secret, string Shown)> _replacements = [];

    /// <summary>Adds a connection string: shown as a placeholder.</summary>
    public Redaction ConnectionString(string? connectionString)
    {
        if (!string.IsNullOrEmpty(connectionString))
        {
            _replacements.Add((connectionString, "<connection string>"));
        }

        return this;
    }

    /// <summary>Adds a database file: its path, URI and folder are shown as the file name (the folder as a placeholder).</summary>
    public Redaction File(SqliteFile? file)
    {
        if (file is not null)
        {
            _replacements.Add((file.Path, file.FileName));
            _replacements.Add((file.Uri, file.FileName));
            if (Path.GetDirectoryName(file.Path) is { Length: > 1 } folder)
            {
                _replacements.Add((folder, "<folder>"));
            }
        }

        return this;
    }

    /// <summary>Returns <paramref name="message"/> with every secret replaced, longest first (a path inside a connection string goes with it).</summary>
    public string Apply(string message, out bool redacted)
    {
        string result = message;
        foreach (var (secret, shown) in _replacements.OrderByDescending(r => r.Secret.Length))
        {
            result = result.Replace(secret, shown, StringComparison.Ordinal);
        }

        redacted = !string.Equals(result, message, StringComparison.Ordinal);
        return result;
    }
}
