using DurableMigration.Manifest;
using DurableMigration.Providers;

namespace DurableMigration.Migration.Activities;

/// <summary>Resolves a database's connection references into the endpoints a provider works on: inside activities only.</summary>
internal static class EndpointResolution
{
    public static Task<(IDatabaseProvider Provider, MigrationEndpoints Endpoints)> ResolveAsync(
        IDatabaseProviderCatalog providers,
        IConnectionResolver resolver,
        DatabaseSpec database,
        CancellationToken cancellationToken) =>
        ResolveCoreAsync(providers, resolver, database, targetOptional: false, cancellationToken);

    /// <summary>Like <see cref="ResolveAsync"/>, for work on the source alone: a target that cannot be resolved is passed as an empty connection, which providers treat as no target.</summary>
    public static Task<(IDatabaseProvider Provider, MigrationEndpoints Endpoints)> ResolveSourceAsync(
        IDatabaseProviderCatalog providers,
        IConnectionResolver resolver,
        DatabaseSpec database,
        CancellationToken cancellationToken) =>
        ResolveCoreAsync(providers, resolver, database, targetOptional: true, cancellationToken);

    private static async Task<(IDatabaseProvider Provider, MigrationEndpoints Endpoints)> ResolveCoreAsync(
        IDatabaseProviderCatalog providers,
        IConnectionResolver resolver,
        DatabaseSpec database,
        bool targetOptional,
        CancellationToken cancellationToken)
    {
        var provider = providers.Get(database.Source.Engine);
        string source = await resolver.ResolveAsync(database.Source.Connection, cancellationToken).ConfigureAwait(false);
        string target;
        var azure = database.Target.Azure;
        string? backupKey = null;
        try
        {
            target = await resolver.ResolveAsync(database.Target.Connection, cancellationToken).ConfigureAwait(false);
            if (azure?.Backup is { } backup)
            {
                backupKey = await resolver.ResolveAsync(backup.AccountKey, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (targetOptional && ex is INonRetriableException)
        {
            // An unset target variable must not keep the source read-only.
            target = string.Empty;
        }

        return (provider, new MigrationEndpoints(database.Name, source, target, database.Tables) { Azure = azure, BackupAccountKey = backupKey });
    }
}
