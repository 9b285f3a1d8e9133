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

    private const int Busy = 5;
    private const int Locked = 6;
    private const int NoMemory = 7;
    private const int IoError = 10;
    private const int Full = 13;
    private const int Protocol = 15;

    /// <summary>Tells whether SQLite could not read the file as a database at all.</summary>
    public static bool IsUnreadable(SqliteException exception) => exception.SqliteErrorCode is Corrupt or NotADatabase;

    /// <summary>Translates <paramref name="exception"/>, raised while <paramref name="operation"/> ran, into what the caller should see.</summary>
    /// <returns>The exception to throw: provider exceptions and cancellations unchanged, SQLite and I/O failures wrapped with secrets removed.</returns>
    public static Exception Translate(Exception exception, string database, string operation, Redaction redaction, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case OperationCanceledException or DatabaseProviderException:
                return exception;
            case SqliteException { SqliteErrorCode: Interrupt } when cancellationToken.IsCancellationRequested:
                return new OperationCanceledException(cancellationToken);
            case SqliteException sqlite:
            {
                string detail = redaction.Apply(sqlite.Message, out bool redacted);
                string message = $"Database '{database}': {operation} failed: {detail}";
                var inner = redacted ? null : sqlite;
                bool transient = sqlite.SqliteErrorCode is Busy or Locked or NoMemory or IoError or Full or Protocol;
                return transient
                    ? new DatabaseProviderException(database, message, inner)
                    : new PermanentDatabaseProviderException(database, message + Advice(sqlite.SqliteErrorCode), inner);
            }

            case UnauthorizedAccessException access:
            {
                string detail = redaction.Apply(access.Message, out bool redacted);
                return new PermanentDatabaseProviderException(database, $"Database '{database}': {operation} failed: {detail}", redacted ? null : access);
            }

            case IOException io:
            {
                string detail = redaction.Apply(io.Message, out bool redacted);
                return new DatabaseProviderException(database, $"Database '{database}': {operation} failed: {detail}", redacted ? null : io);
            }

            default:
                return exception;
        }
    }

    private static string Advice(int code) => code switch
    {
        Corrupt or NotADatabase => " The file is not a SQLite database or is corrupt; restore it from a backup.",
        _ => string.Empty,
    };
}

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
