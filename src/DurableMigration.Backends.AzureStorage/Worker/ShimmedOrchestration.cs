using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker.Shims;

namespace DurableMigration.Backends.AzureStorage.Worker;

/// <summary>A Durable Task Framework orchestration that runs an SDK orchestrator through the SDK's shim, created once its parent is known.</summary>
/// <remarks>
/// The framework creates orchestrations by name alone (<see cref="ObjectCreator{T}"/>), but the SDK's shim needs the
/// parent instance for <c>TaskOrchestrationContext.Parent</c> (a database tells its wave about state changes
/// through it). The dispatcher middleware of <see cref="AzureStorageTaskHubWorker"/> reads the parent from the runtime
/// state and binds it before the first <see cref="Execute"/>.
/// </remarks>
internal sealed class ShimmedOrchestration(TaskName name, Func<ITaskOrchestrator> create, DurableTaskShimFactory shims) : TaskOrchestration
{
    private TaskOrchestration? _shim;
    private ParentOrchestrationInstance? _parent;

    private TaskOrchestration Shim => _shim ??= shims.CreateOrchestration(name, create(), _parent);

    /// <summary>Records the parent instance; only before the shim exists (a later turn of the same object keeps it).</summary>
    public void BindParent(ParentOrchestrationInstance? parent)
    {
        if (_shim is null)
        {
            _parent = parent;
        }
    }

    /// <inheritdoc/>
    public override Task<string> Execute(OrchestrationContext context, string input) => Shim.Execute(context, input);

    /// <inheritdoc/>
    public override string GetStatus() => Shim.GetStatus();

    /// <inheritdoc/>
    public override void RaiseEvent(OrchestrationContext context, string name, string input) => Shim.RaiseEvent(context, name, input);
}
