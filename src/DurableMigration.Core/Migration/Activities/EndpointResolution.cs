using DurableMigration.Manifest;
using DurableMigration.Providers;

namespace DurableMigration.Migration.Activities;

/// <summary>Resolves a database's connection references into the endpoints a provider works on: inside activities only.</summary>
internal static class EndpointResolution
{
    public static async Task<(IDatabaseProvider Provider, MigrationEndpoints Endpoints)> ResolveAsync(
        IDatabaseProviderCatalog providers,
        IConnectionResolver resolver,
        DatabaseSpec database,
        CancellationToken cancellationToken)
    {
        var provider = providers.Get(database.Source.Engine);
        string source = await resolver.ResolveAsync(database.Source.Connection, cancellationToken).ConfigureAwait(false);
        string target = await resolver.ResolveAsync(database.Target.Connection, cancellationToken).ConfigureAwait(false);
        return (provider, new MigrationEndpoints(database.Name, source, target, database.Tables));
    }
}
