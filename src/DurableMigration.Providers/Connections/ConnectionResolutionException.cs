namespace DurableMigration.Providers.Connections;

/// <summary>A connection reference could not be resolved (an unset variable, a missing or empty file): retrying cannot help.</summary>
/// <remarks>The message names the reference (the variable, the path), never a value.</remarks>
public sealed class ConnectionResolutionException : Exception, INonRetriableException
{
    /// <summary>Initializes the exception for <paramref name="reference"/>.</summary>
    /// <param name="reference">The reference as the manifest spells it (<c>env:NAME</c>, <c>file:PATH</c>).</param>
    /// <param name="message">What is wrong and how to fix it; no value.</param>
    public ConnectionResolutionException(string reference, string message)
        : base(message) => Reference = reference;

    /// <summary>Gets the reference that could not be resolved.</summary>
    public string Reference { get; }
}
