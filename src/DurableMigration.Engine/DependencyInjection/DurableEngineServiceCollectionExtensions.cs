using DurableMigration.Engine.Client;
using DurableMigration.Engine.Dispatch;
using DurableMigration.Engine.Storage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableMigration.Engine.DependencyInjection;

/// <summary>Registers the embedded durable runtime with a service collection.</summary>
public static class DurableEngineServiceCollectionExtensions
{
    /// <summary>
    /// Adds the engine (as a hosted service), its <see cref="DurableTaskClient"/>, and the orchestrators and activities
    /// <paramref name="register"/> adds to the Durable Task SDK's <see cref="DurableTaskRegistry"/>: the same registration
    /// code serves Microsoft's runtimes.
    /// </summary>
    public static IServiceCollection AddDurableEngine(
        this IServiceCollection services,
        Action<DurableEngineOptions> configure,
        Action<DurableTaskRegistry> register)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(register);

        var options = new DurableEngineOptions();
        configure(options);
        options.Validate();
        var registry = new DurableTaskRegistry();
        register(registry);
        var catalog = new TaskCatalog(registry);

        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EngineSignals>();
        services.AddSingleton(_ => new TaskHubStore(options.TaskHubPath, options.Durability));
        services.AddSingleton(sp => new EngineContext(
            sp.GetRequiredService<TaskHubStore>(),
            catalog,
            sp,
            options.DataConverter,
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<EngineSignals>(),
            options));
        services.AddSingleton(sp => new SqliteDurableTaskClient(
            sp.GetRequiredService<TaskHubStore>(),
            options.DataConverter,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<EngineSignals>()));
        services.AddSingleton<DurableTaskClient>(sp => sp.GetRequiredService<SqliteDurableTaskClient>());
        services.AddSingleton(sp => new DurableEngine(sp.GetRequiredService<EngineContext>()));
        services.AddHostedService(sp => sp.GetRequiredService<DurableEngine>());
        return services;
    }
}
