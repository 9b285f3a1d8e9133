using DurableMigration.Backends.AzureStorage.Client;
using DurableMigration.Backends.AzureStorage.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableMigration.Backends.AzureStorage.DependencyInjection;

/// <summary>Registers the Azure Storage backend's client, and optionally its worker, with a service collection.</summary>
public static class AzureStorageBackendServiceCollectionExtensions
{
    /// <summary>
    /// Adds the <see cref="DurableTaskClient"/> of the task hub <paramref name="configure"/> names and, when
    /// <paramref name="register"/> is given, a worker (<see cref="AzureStorageTaskHubWorker"/>, also as a hosted service)
    /// running what it adds to the SDK's <see cref="DurableTaskRegistry"/>: the registration code every runtime shares.
    /// </summary>
    public static IServiceCollection AddAzureStorageBackend(this IServiceCollection services, Action<AzureStorageBackendOptions> configure, Action<DurableTaskRegistry>? register = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new AzureStorageBackendOptions();
        configure(options);
        services.AddSingleton(options);
        services.AddSingleton(sp => new AzureStorageDurableTaskClient(options, sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        services.AddSingleton<DurableTaskClient>(sp => sp.GetRequiredService<AzureStorageDurableTaskClient>());
        if (register is not null)
        {
            var registry = new DurableTaskRegistry();
            register(registry);
            services.AddSingleton(sp => new AzureStorageTaskHubWorker(options, registry, sp, sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
            services.AddHostedService(sp => sp.GetRequiredService<AzureStorageTaskHubWorker>());
        }

        return services;
    }
}
