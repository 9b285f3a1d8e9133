using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Backends.AzureStorage.Client;

/// <summary>Maps the Durable Task Framework's instance state to the SDK's metadata and statuses.</summary>
internal static class StateMapping
{
    public static OrchestrationMetadata ToMetadata(OrchestrationState state, DataConverter converter, bool withPayloads) =>
        new(state.Name ?? string.Empty, state.OrchestrationInstance.InstanceId)
        {
            DataConverter = converter,
            RuntimeStatus = ToRuntimeStatus(state.OrchestrationStatus),
            CreatedAt = Utc(state.CreatedTime),
            LastUpdatedAt = Utc(state.LastUpdatedTime),
            SerializedInput = withPayloads ? state.Input : null,
            SerializedOutput = withPayloads && state.OrchestrationStatus != OrchestrationStatus.Failed ? state.Output : null,
            SerializedCustomStatus = state.Status,
            FailureDetails = ToFailureDetails(state),
        };

    public static OrchestrationRuntimeStatus ToRuntimeStatus(OrchestrationStatus status) => status switch
    {
        OrchestrationStatus.Pending => OrchestrationRuntimeStatus.Pending,
        OrchestrationStatus.Running or OrchestrationStatus.ContinuedAsNew => OrchestrationRuntimeStatus.Running,
        OrchestrationStatus.Completed => OrchestrationRuntimeStatus.Completed,
        OrchestrationStatus.Failed => OrchestrationRuntimeStatus.Failed,
        OrchestrationStatus.Terminated or OrchestrationStatus.Canceled => OrchestrationRuntimeStatus.Terminated,
        OrchestrationStatus.Suspended => OrchestrationRuntimeStatus.Suspended,
        _ => OrchestrationRuntimeStatus.Running,
    };

    public static OrchestrationStatus ToCoreStatus(OrchestrationRuntimeStatus status) => status switch
    {
        OrchestrationRuntimeStatus.Pending => OrchestrationStatus.Pending,
        OrchestrationRuntimeStatus.Running => OrchestrationStatus.Running,
        OrchestrationRuntimeStatus.Completed => OrchestrationStatus.Completed,
        OrchestrationRuntimeStatus.Failed => OrchestrationStatus.Failed,
        OrchestrationRuntimeStatus.Terminated => OrchestrationStatus.Terminated,
        OrchestrationRuntimeStatus.Suspended => OrchestrationStatus.Suspended,
        _ => OrchestrationStatus.Running,
    };

    public static TaskFailureDetails? ToFailureDetails(FailureDetails? failure) => failure is null
        ? null
        : new TaskFailureDetails(failure.ErrorType, failure.ErrorMessage, failure.StackTrace, ToFailureDetails(failure.InnerFailure), null);

    private static TaskFailureDetails? ToFailureDetails(OrchestrationState state)
    {
        if (state.OrchestrationStatus != OrchestrationStatus.Failed)
        {
            return null;
        }

        // With FailureDetails propagation the output holds the failure as JSON, and the state carries it typed.
        return ToFailureDetails(state.FailureDetails) ?? new TaskFailureDetails("Unknown", state.Output ?? "The orchestration failed.", null, null, null);
    }

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}
