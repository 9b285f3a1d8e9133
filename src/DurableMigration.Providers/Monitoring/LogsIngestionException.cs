namespace DurableMigration.Providers.Monitoring;

/// <summary>The Logs Ingestion API refused a call: its status, and the error code and message from its body (never a token).</summary>
public sealed class LogsIngestionException : Exception
{
    /// <summary>Initializes an empty exception.</summary>
    public LogsIngestionException()
    {
    }

    /// <summary>Initializes an exception with a message.</summary>
    /// <param name="message">The message.</param>
    public LogsIngestionException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes an exception with a message and its cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public LogsIngestionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes an exception for a refused call.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="errorCode">The service's error code, if any.</param>
    /// <param name="message">The message.</param>
    public LogsIngestionException(int status, string? errorCode, string message)
        : base(message)
    {
        Status = status;
        ErrorCode = errorCode;
    }

    /// <summary>Gets the HTTP status of the refused call (0 when there was none).</summary>
    public int Status { get; }

    /// <summary>Gets the service's error code (<c>InvalidStream</c>, <c>ContentLengthLimitExceeded</c>, ...), if any.</summary>
    public string? ErrorCode { get; }

    /// <summary>Gets whether sending the same records again later may succeed (408, 429, 5xx).</summary>
    public bool IsRetriable => Status is 408 or 429 or >= 500;
}
