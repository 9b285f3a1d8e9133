using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Backends.AzureStorage.Worker;

/// <summary>Turns the factories of a <see cref="DurableTaskRegistry"/> into the Durable Task Framework's <see cref="ObjectCreator{T}"/>s, so registration code is shared.</summary>
internal static class RegistryCreators
{
    public static IReadOnlyList<ObjectCreator<TaskOrchestration>> Orchestrations(DurableTaskRegistry registry, IServiceProvider services, DurableTaskShimFactory shims) =>
        [.. registry.GetOrchestrators().Select(pair => (ObjectCreator<TaskOrchestration>)new OrchestrationCreator(pair.Key, () => pair.Value(services), shims))];

    public static IReadOnlyList<ObjectCreator<TaskActivity>> Activities(DurableTaskRegistry registry, IServiceProvider services, DurableTaskShimFactory shims, ILogger logger, string workerId, CancellationToken stopping) =>
        [.. registry.GetActivities().Select(pair => (ObjectCreator<TaskActivity>)new ActivityCreator(
            pair.Key,
            () => new LoggedActivity(pair.Key.Name, shims.CreateActivity(pair.Key, pair.Value(services)), logger, workerId, stopping)))];

    private sealed class OrchestrationCreator : ObjectCreator<TaskOrchestration>
    {
        private readonly TaskName _name;
        private readonly Func<ITaskOrchestrator> _create;
        private readonly DurableTaskShimFactory _shims;

        public OrchestrationCreator(TaskName name, Func<ITaskOrchestrator> create, DurableTaskShimFactory shims)
        {
            _name = name;
            _create = create;
            _shims = shims;
            Name = name.Name;
            Version = string.Empty;
        }

        public override TaskOrchestration Create() => new ShimmedOrchestration(_name, _create, _shims);
    }

    private sealed class ActivityCreator : ObjectCreator<TaskActivity>
    {
        private readonly Func<TaskActivity> _create;

        public ActivityCreator(TaskName name, Func<TaskActivity> create)
        {
            _create = create;
            Name = name.Name;
            Version = string.Empty;
        }

        public override TaskActivity Create() => _create();
    }
}
