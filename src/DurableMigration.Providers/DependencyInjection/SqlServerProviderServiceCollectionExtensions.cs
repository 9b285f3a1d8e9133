using Azure.Core;
using DurableMigration.Providers.Dms;
using DurableMigration.Providers.SqlServer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.DependencyInjection;

/// <summary>Registers engine <c>sqlserver</c>: <see cref="SqlServerDatabaseProvider"/> on a Database Migration Service client.</summary>
public static class SqlServerProviderServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="SqlServerDatabaseProvider"/> as an <see cref="IDatabaseProvider"/>, with its <see cref="DatabaseMigrationServiceClient"/>
    /// and <see cref="DatabaseMigrationRunner"/>. Nothing reaches Azure until a <c>sqlserver</c> database is assessed or migrated.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="credential">Signs Resource Manager calls in: <c>DefaultAzureCredential</c> in production.</param>
    /// <param name="client">The Resource Manager endpoint, polling and transport; the public cloud's when <c>null</c>.</param>
    /// <param name="runner">How often a migration's status is read; every 30 seconds when <c>null</c>.</param>
    /// <param name="provider">Limits, timeouts and how SQL Server is reached; SqlClient when <c>null</c>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSqlServerProvider(
        this IServiceCollection services,
        TokenCredential credential,
        DatabaseMigrationServiceClientOptions? client = null,
        DatabaseMigrationRunnerOptions? runner = null,
        SqlServerProviderOptions? provider = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return services.AddSqlServerProvider(_ => new DatabaseMigrationServiceClient(credential, client), runner, provider);
    }

    /// <summary>As the other overload, with the client made by <paramref name="client"/> on first use (a rehearsal's emulator starts late).</summary>
    /// <param name="services">The services.</param>
    /// <param name="client">Makes the Resource Manager client, once.</param>
    /// <param name="runner">How often a migration's status is read; every 30 seconds when <c>null</c>.</param>
    /// <param name="provider">Limits, timeouts and how SQL Server is reached; SqlClient when <c>null</c>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSqlServerProvider(
        this IServiceCollection services,
        Func<IServiceProvider, DatabaseMigrationServiceClient> client,
        DatabaseMigrationRunnerOptions? runner = null,
        SqlServerProviderOptions? provider = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(client);
        services.AddSingleton(client);
        services.AddSingleton(sp => new DatabaseMigrationRunner(
            sp.GetRequiredService<DatabaseMigrationServiceClient>(), runner, sp.GetService<ILogger<DatabaseMigrationRunner>>()));
        // Registered on its own, so a host may replace it (a test replaying recorded SQL Server result sets does).
        services.AddSingleton(provider ?? new SqlServerProviderOptions());
        services.AddSingleton<IDatabaseProvider>(sp => new SqlServerDatabaseProvider(
            sp.GetRequiredService<DatabaseMigrationServiceClient>(),
            sp.GetRequiredService<DatabaseMigrationRunner>(),
            sp.GetRequiredService<SqlServerProviderOptions>(),
            sp.GetService<ILoggerFactory>()));
        return services;
    }
}
