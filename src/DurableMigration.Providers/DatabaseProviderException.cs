namespace DurableMigration.Providers;

/// <summary>A provider operation failed for a reason that may pass (a busy or locked file, an I/O error, a full disk): retrying can help.</summary>
/// <remarks>The message names the database (and at most a file name), never a connection string.</remarks>
public class DatabaseProviderException : Exception
{
    /// <summary>Initializes the exception for <paramref name="database"/>.</summary>
    /// <param name="database">The database's name in the wave.</param>
    /// <param name="message">What failed; no secrets.</param>
    /// <param name="innerException">The cause, only when its own message carries no secret.</param>
    public DatabaseProviderException(string database, string message, Exception? innerException = null)
        : base(message, innerException) => Database = database;

    /// <summary>Gets the database's name in the wave.</summary>
    public string Database { get; }
}

/// <summary>A provider operation failed for a reason retrying cannot remove (a missing or corrupt file, a refused target, a bad filter).</summary>
public sealed class PermanentDatabaseProviderException : DatabaseProviderException, INonRetriableException
{
    /// <summary>Initializes the exception for <paramref name="database"/>.</summary>
    /// <param name="database">The database's name in the wave.</param>
    /// <param name="message">What failed and what to do about it; no secrets.</param>
    /// <param name="innerException">The cause, only when its own message carries no secret.</param>
    public PermanentDatabaseProviderException(string database, string message, Exception? innerException = null)
        : base(database, message, innerException)
    {
    }
}

/// <summary>A database file stayed locked by another connection for longer than the provider waits: retrying once that connection is done can help.</summary>
/// <remarks>Retriable, like every <see cref="DatabaseProviderException"/> that is not a <see cref="PermanentDatabaseProviderException"/>.</remarks>
public sealed class DatabaseLockedException : DatabaseProviderException
{
    /// <summary>Initializes the exception for <paramref name="database"/>.</summary>
    /// <param name="database">The database's name in the wave.</param>
    /// <param name="message">Which file is locked, by which lock, and what to do; no secrets.</param>
    /// <param name="lockName">The lock the other connection holds, as the engine names it (<c>RESERVED</c>, <c>EXCLUSIVE</c>, ...).</param>
    /// <param name="innerException">The cause, only when its own message carries no secret.</param>
    public DatabaseLockedException(string database, string message, string lockName, Exception? innerException = null)
        : base(database, message, innerException) => Lock = lockName;

    /// <summary>Gets the lock the other connection holds, as the engine names it.</summary>
    public string Lock { get; }
}
