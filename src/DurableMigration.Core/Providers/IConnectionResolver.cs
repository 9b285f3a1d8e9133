namespace DurableMigration.Providers;

/// <summary>Turns a manifest connection (<c>env:NAME</c>, <c>file:PATH</c> or a credential-free literal) into a connection string.</summary>
/// <remarks>Used inside activities only, so resolved values never reach orchestration input, history, status or logs.</remarks>
public interface IConnectionResolver
{
    /// <summary>Resolves <paramref name="connection"/>; throws a non-retriable error naming the reference (never its value) when it cannot.</summary>
    Task<string> ResolveAsync(string connection, CancellationToken cancellationToken = default);
}
