using Microsoft.DurableTask;

namespace DurableMigration.Engine;

/// <summary>The orchestrators and activities registered in a <see cref="DurableTaskRegistry"/>, found by name (case-insensitive, as <see cref="TaskName"/> compares).</summary>
internal sealed class TaskCatalog
{
    private readonly Dictionary<TaskName, Func<IServiceProvider, ITaskOrchestrator>> _orchestrators = [];
    private readonly Dictionary<TaskName, Func<IServiceProvider, ITaskActivity>> _activities = [];

    public TaskCatalog(DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        foreach (var (name, factory) in registry.GetOrchestrators())
        {
            _orchestrators[name] = factory;
        }

        foreach (var (name, factory) in registry.GetActivities())
        {
            _activities[name] = factory;
        }

        if (registry.GetEntities().Any())
        {
            throw new NotSupportedException("Durable entities are not supported by the embedded DurableMigration runtime; register orchestrators and activities only.");
        }
    }

    public ITaskOrchestrator? CreateOrchestrator(string name, IServiceProvider services) =>
        _orchestrators.TryGetValue(new TaskName(name), out var factory) ? factory(services) : null;

    public ITaskActivity? CreateActivity(string name, IServiceProvider services) =>
        _activities.TryGetValue(new TaskName(name), out var factory) ? factory(services) : null;
}
