namespace DurableMigration.Providers;

/// <summary>Where applications look up which database to use: the consumers' switchboard that cutover flips.</summary>
public interface IConnectionRegistry
{
    /// <summary>Gets the current entry for a database, or <c>null</c> if none was recorded.</summary>
    Task<ConnectionEntry?> GetAsync(string database, CancellationToken cancellationToken = default);

    /// <summary>Points consumers of <paramref name="database"/> at <paramref name="connection"/> (a reference, never a resolved secret) and records the switch.</summary>
    /// <returns>The entry that was current before, or <c>null</c>.</returns>
    Task<ConnectionEntry?> SwitchAsync(string database, string connection, string engine, string reason, CancellationToken cancellationToken = default);

    /// <summary>Gets every recorded switch of a database, oldest first.</summary>
    Task<IReadOnlyList<ConnectionSwitch>> GetHistoryAsync(string database, CancellationToken cancellationToken = default);
}

/// <summary>The connection consumers of a database use now.</summary>
/// <param name="Database">The database's name.</param>
/// <param name="Engine">Its engine.</param>
/// <param name="Connection">The connection reference (as in the manifest).</param>
/// <param name="UpdatedAt">When it was set (UTC).</param>
public sealed record ConnectionEntry(string Database, string Engine, string Connection, DateTime UpdatedAt);

/// <summary>One recorded switch.</summary>
/// <param name="Database">The database's name.</param>
/// <param name="From">The connection before, or <c>null</c>.</param>
/// <param name="To">The connection after.</param>
/// <param name="Reason">Why (cutover of wave X, rollback of wave X).</param>
/// <param name="At">When (UTC).</param>
public sealed record ConnectionSwitch(string Database, string? From, string To, string Reason, DateTime At);

/// <summary>What every <see cref="IConnectionRegistry"/> checks before a switch: every argument given, and a connection that is a reference, not a credential.</summary>
public static class ConnectionSwitchArguments
{
    private static readonly string[] CredentialKeywords = ["password=", "pwd="];

    /// <summary>Throws <see cref="ArgumentException"/> for a missing argument, or a connection that carries a password.</summary>
    public static void Check(string database, string connection, string engine, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(engine);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (CredentialKeywords.Any(k => connection.Contains(k, StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException($"The connection for database '{database}' carries a password; store its reference (env:NAME or file:PATH) instead.", nameof(connection));
        }
    }
}
