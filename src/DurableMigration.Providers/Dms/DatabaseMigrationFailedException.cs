namespace DurableMigration.Providers.Dms;

/// <summary>
/// A Database Migration Service migration ended <c>Failed</c> (or was canceled by someone else): the service gave up, and running the
/// same activity again does not help until the cause is fixed. Carries the service's error code.
/// </summary>
/// <remarks>The message holds the service's error code and message and the database's name, never a connection's password.</remarks>
public sealed class DatabaseMigrationFailedException : DatabaseProviderException, INonRetriableException
{
    /// <summary>Initializes the exception.</summary>
    /// <param name="database">The database's name in the wave.</param>
    /// <param name="message">What failed and what to do; no secrets.</param>
    /// <param name="errorCode">The service's error code (<c>migrationFailureError.code</c>), or <c>MigrationCanceled</c>.</param>
    /// <param name="serviceMessage">The service's message.</param>
    public DatabaseMigrationFailedException(string database, string message, string errorCode, string? serviceMessage)
        : base(database, message)
    {
        ErrorCode = errorCode;
        ServiceMessage = serviceMessage;
    }

    /// <summary>Gets the service's error code.</summary>
    public string ErrorCode { get; }

    /// <summary>Gets the service's message, when it sent one.</summary>
    public string? ServiceMessage { get; }
}
