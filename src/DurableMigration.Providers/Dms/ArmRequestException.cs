using Azure;

namespace DurableMigration.Providers.Dms;

/// <summary>An error code and message from Azure Resource Manager (an <c>error</c> object or one of its <c>details</c>).</summary>
/// <param name="Code">The service's error code, such as <c>OperationInProgress</c>.</param>
/// <param name="Message">The service's message.</param>
public sealed record ArmErrorDetail(string Code, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>
/// Azure Resource Manager refused a request, or a long-running operation it accepted ended failed or canceled.
/// Carries the HTTP status, the service's error code and message, and whether retrying the same call can help.
/// </summary>
/// <remarks>
/// The message is built from the status, the operation and the service's error only: never from the request's body, which holds
/// connection passwords and account keys. <see cref="RequestFailedException.Status"/> is the HTTP status of the response that carried
/// the error (for a failed long-running operation, that of the status poll, usually 200).
/// </remarks>
public sealed class ArmRequestException : RequestFailedException
{
    /// <summary>Initializes an empty exception (for serializers and tests).</summary>
    public ArmRequestException()
        : this("Azure Resource Manager refused the request.")
    {
    }

    /// <summary>Initializes an exception with a message only.</summary>
    /// <param name="message">What failed; no secrets.</param>
    public ArmRequestException(string message)
        : this(message, null)
    {
    }

    /// <summary>Initializes an exception with a message and a cause.</summary>
    /// <param name="message">What failed; no secrets.</param>
    /// <param name="innerException">The cause.</param>
    public ArmRequestException(string message, Exception? innerException)
        : base(0, message, null, innerException)
    {
        Details = [];
    }

    /// <summary>Initializes an exception for an error the service returned.</summary>
    /// <param name="status">The HTTP status of the response carrying the error.</param>
    /// <param name="message">What failed; no secrets.</param>
    /// <param name="errorCode">The service's error code.</param>
    /// <param name="serviceMessage">The service's own message.</param>
    /// <param name="details">The error's details.</param>
    /// <param name="isRetriable">Whether retrying the same call can help.</param>
    /// <param name="operationFailed">Whether a long-running operation the service had accepted ended failed or canceled.</param>
    /// <param name="requestId">The service's request id (<c>x-ms-request-id</c>), for support.</param>
    public ArmRequestException(
        int status,
        string message,
        string? errorCode,
        string? serviceMessage,
        IReadOnlyList<ArmErrorDetail>? details,
        bool isRetriable,
        bool operationFailed = false,
        string? requestId = null)
        : base(status, message, errorCode, null)
    {
        ServiceMessage = serviceMessage;
        Details = details ?? [];
        IsRetriable = isRetriable;
        OperationFailed = operationFailed;
        RequestId = requestId;
    }

    /// <summary>Gets the service's own message, when it sent one.</summary>
    public string? ServiceMessage { get; }

    /// <summary>Gets the error's details (<c>error.details</c>).</summary>
    public IReadOnlyList<ArmErrorDetail> Details { get; }

    /// <summary>Gets whether retrying the same call can help: throttling (429), timeouts (408) and transient server errors (500, 502, 503, 504), or a 409 <c>OperationInProgress</c>.</summary>
    public bool IsRetriable { get; }

    /// <summary>Gets whether a long-running operation the service had accepted ended failed or canceled (as opposed to a refused request).</summary>
    public bool OperationFailed { get; }

    /// <summary>Gets the service's request id (<c>x-ms-request-id</c>), for a support case.</summary>
    public string? RequestId { get; }

    /// <summary>Whether a response status, with its error code, is worth retrying.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="errorCode">The service's error code.</param>
    /// <returns><see langword="true"/> for 408, 429, 500, 502, 503, 504 and 409 <c>OperationInProgress</c>.</returns>
    public static bool IsRetriableStatus(int status, string? errorCode) =>
        status is 408 or 429 or 500 or 502 or 503 or 504
        || (status == 409 && string.Equals(errorCode, "OperationInProgress", StringComparison.OrdinalIgnoreCase));
}
