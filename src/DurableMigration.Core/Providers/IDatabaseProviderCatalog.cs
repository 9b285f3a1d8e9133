namespace DurableMigration.Providers;

/// <summary>Finds the provider for an engine.</summary>
public interface IDatabaseProviderCatalog
{
    /// <summary>Gets the provider of <paramref name="engine"/>; throws a non-retriable error naming the known engines when there is none.</summary>
    IDatabaseProvider Get(string engine);
}

/// <summary>A catalog over the providers registered with dependency injection.</summary>
public sealed class DatabaseProviderCatalog : IDatabaseProviderCatalog
{
    private readonly Dictionary<string, IDatabaseProvider> _providers;

    /// <summary>Indexes <paramref name="providers"/> by engine name.</summary>
    public DatabaseProviderCatalog(IEnumerable<IDatabaseProvider> providers) =>
        _providers = providers.ToDictionary(p => p.Engine, StringComparer.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public IDatabaseProvider Get(string engine) =>
        _providers.TryGetValue(engine, out var provider)
            ? provider
            : throw new UnknownEngineException(engine, _providers.Keys.Order(StringComparer.Ordinal));
}

/// <summary>Thrown when no provider serves an engine.</summary>
public sealed class UnknownEngineException : Exception, INonRetriableException
{
    /// <summary>Initializes the exception for <paramref name="engine"/>.</summary>
    public UnknownEngineException(string engine, IEnumerable<string> known)
        : base($"No provider for engine '{engine}' in this host; known engines: {string.Join(", ", known)}.")
    {
    }
}
