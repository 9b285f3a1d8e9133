using Microsoft.DurableTask.Client;

namespace DurableMigration.Engine;

/// <summary>Helpers over <see cref="OrchestrationRuntimeStatus"/>.</summary>
internal static class RuntimeStatusExtensions
{
    /// <summary>The status an execution ends with when it continued as new; the SDK marks it obsolete for clients, but histories still record it.</summary>
#pragma warning disable CS0618
    public const OrchestrationRuntimeStatus ContinuedAsNew = OrchestrationRuntimeStatus.ContinuedAsNew;
#pragma warning restore CS0618

    /// <summary>Gets a value indicating whether an instance in <paramref name="status"/> has finished for good.</summary>
    public static bool IsTerminal(this OrchestrationRuntimeStatus status) =>
        status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated
#pragma warning disable CS0618 // Canceled is obsolete in the SDK but still a status a store may hold.
            or OrchestrationRuntimeStatus.Canceled;
#pragma warning restore CS0618
}
