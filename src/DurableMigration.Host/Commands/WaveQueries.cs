using DurableMigration.Migration;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Host.Commands;

/// <summary>Queries over the task hub's waves that several commands share.</summary>
internal static class WaveQueries
{
    /// <summary>The first wave orchestration matching <paramref name="query"/>; the SDK's query has no name filter, so the name is checked here.</summary>
    public static async Task<OrchestrationMetadata?> FirstWaveAsync(DurableTaskClient client, OrchestrationQuery query, CancellationToken ct)
    {
        await foreach (var instance in client.GetAllInstancesAsync(query).WithCancellation(ct).ConfigureAwait(false))
        {
            if (instance.Name == MigrationNames.WaveOrchestration)
            {
                return instance;
            }
        }

        return null;
    }
}
