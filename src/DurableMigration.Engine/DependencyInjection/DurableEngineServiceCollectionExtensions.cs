using DurableMigration.Client;
using DurableMigration.Engine.Client;
using DurableMigration.Engine.Dispatch;
using DurableMigration.Engine.Serialization;
using DurableMigration.Engine.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableMigration.Engine.DependencyInjection;

/// <summary>Registers the embedded durable runtime with a service collection.</summary>
public static class DurableEngineServiceCollectionExtensions
{
    /// <summary>Adds the engine (as a hosted service), its <see cref="IOrchestrationClient"/>, and the orchestrators and activities <paramref name="register"/> names.</summary>
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

        services.AddSingleton(options);
        services.AddSingleton(registry);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(JsonDataConverter.Default);
        services.AddSingleton<EngineSignals>();
        services.AddSingleton(_ => new TaskHubStore(options.TaskHubPath));
        services.AddSingleton(sp => new EngineContext(
            sp.GetRequiredService<TaskHubStore>(),
            registry,
            sp,
            sp.GetRequiredService<JsonDataConverter>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<EngineSignals>(),
            options));
        services.AddSingleton(sp => new SqliteOrchestrationClient(
            sp.GetRequiredService<TaskHubStore>(),
            sp.GetRequiredService<JsonDataConverter>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<EngineSignals>()));
        services.AddSingleton<IOrchestrationClient>(sp => sp.GetRequiredService<SqliteOrchestrationClient>());
        services.AddSingleton(sp => new DurableEngine(sp.GetRequiredService<EngineContext>()));
        services.AddHostedService(sp => sp.GetRequiredService<DurableEngine>());
        return services;
    }
}
