using DurableMigration.Orchestration;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Engine;

/// <summary>The orchestrators and activities a host can run, by name (case-insensitive), as Durable Functions' <c>DurableTaskRegistry</c>.</summary>
public sealed class DurableTaskRegistry
{
    private readonly Dictionary<string, Func<IServiceProvider, IOrchestrator>> _orchestrators = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Func<IServiceProvider, IActivity>> _activities = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers orchestrator <typeparamref name="T"/> under its class name.</summary>
    public DurableTaskRegistry AddOrchestrator<T>()
        where T : class, IOrchestrator => AddOrchestrator<T>(typeof(T).Name);

    /// <summary>Registers orchestrator <typeparamref name="T"/> under <paramref name="name"/>; a new instance serves each execution.</summary>
    public DurableTaskRegistry AddOrchestrator<T>(string name)
        where T : class, IOrchestrator => Add(_orchestrators, name, Factory<T>(), "orchestrator");

    /// <summary>Registers an orchestrator written as a function.</summary>
    public DurableTaskRegistry AddOrchestratorFunc<TInput, TOutput>(string name, Func<IOrchestrationContext, TInput, Task<TOutput>> run) =>
        Add(_orchestrators, name, _ => new FuncOrchestrator<TInput, TOutput>(run), "orchestrator");

    /// <summary>Registers activity <typeparamref name="T"/> under its class name.</summary>
    public DurableTaskRegistry AddActivity<T>()
        where T : class, IActivity => AddActivity<T>(typeof(T).Name);

    /// <summary>Registers activity <typeparamref name="T"/> under <paramref name="name"/>; it is created in a DI scope per call.</summary>
    public DurableTaskRegistry AddActivity<T>(string name)
        where T : class, IActivity => Add(_activities, name, Factory<T>(), "activity");

    /// <summary>Registers an activity written as a function.</summary>
    public DurableTaskRegistry AddActivityFunc<TInput, TOutput>(string name, Func<ActivityContext, TInput, CancellationToken, Task<TOutput>> run) =>
        Add(_activities, name, _ => new FuncActivity<TInput, TOutput>(run), "activity");

    internal IOrchestrator? CreateOrchestrator(string name, IServiceProvider services) =>
        _orchestrators.TryGetValue(name, out var factory) ? factory(services) : null;

    internal IActivity? CreateActivity(string name, IServiceProvider services) =>
        _activities.TryGetValue(name, out var factory) ? factory(services) : null;

    /// <summary>A constructor-injection factory built once per type, not reflected over on every call.</summary>
    private static Func<IServiceProvider, T> Factory<T>()
        where T : class
    {
        var factory = ActivatorUtilities.CreateFactory(typeof(T), Type.EmptyTypes);
        return sp => (T)factory(sp, null);
    }

    private DurableTaskRegistry Add<T>(Dictionary<string, Func<IServiceProvider, T>> map, string name, Func<IServiceProvider, T> factory, string kind)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!map.TryAdd(name, factory))
        {
            throw new ArgumentException($"An {kind} named '{name}' is already registered.", nameof(name));
        }

        return this;
    }

    private sealed class FuncOrchestrator<TInput, TOutput>(Func<IOrchestrationContext, TInput, Task<TOutput>> run) : Orchestrator<TInput, TOutput>
    {
        public override Task<TOutput> RunAsync(IOrchestrationContext context, TInput input) => run(context, input);
    }

    private sealed class FuncActivity<TInput, TOutput>(Func<ActivityContext, TInput, CancellationToken, Task<TOutput>> run) : Activity<TInput, TOutput>
    {
        public override Task<TOutput> RunAsync(ActivityContext context, TInput input, CancellationToken cancellationToken) => run(context, input, cancellationToken);
    }
}
