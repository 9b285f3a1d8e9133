using DurableMigration.Conformance.Tests.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Conformance.Tests;

/// <summary>
/// Helpers shared by the scenario classes: start a fresh host on a runtime, schedule, wait under a
/// timeout, poll for an intermediate state.
/// </summary>
public abstract class ConformanceScenario
{
    /// <summary>Upper bound for any single wait; a healthy scenario finishes in well under a second.</summary>
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>A unique instance id; test code (not orchestrator code) may use <see cref="Guid.NewGuid"/>.</summary>
    protected static string NewId(string prefix = "conf") => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>Starts a fresh, empty task hub on <paramref name="runtime"/>.</summary>
    protected static Task<IConformanceHost> StartAsync(
        string runtime,
        Action<DurableTaskRegistry> register,
        Action<IServiceCollection>? services = null) =>
        Runtimes.Get(runtime).StartAsync(register, services);

    /// <summary>Schedules <paramref name="orchestrator"/> under <paramref name="instanceId"/> and waits for it to finish.</summary>
    protected static async Task<OrchestrationMetadata> RunAsync(
        DurableTaskClient client, string orchestrator, object? input, string? instanceId = null)
    {
        instanceId ??= NewId();
        await client.ScheduleNewOrchestrationInstanceAsync(
            orchestrator, input, new StartOrchestrationOptions(instanceId));
        return await WaitForCompletionAsync(client, instanceId);
    }

    /// <summary>Waits for the instance to reach a terminal state, inputs and outputs included.</summary>
    protected static async Task<OrchestrationMetadata> WaitForCompletionAsync(DurableTaskClient client, string instanceId)
    {
        using CancellationTokenSource cts = new(Timeout);
        return await client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
    }

    /// <summary>Waits until the instance is running (or past it).</summary>
    protected static async Task<OrchestrationMetadata> WaitForStartAsync(DurableTaskClient client, string instanceId)
    {
        using CancellationTokenSource cts = new(Timeout);
        return await client.WaitForInstanceStartAsync(instanceId, getInputsAndOutputs: true, cts.Token);
    }

    /// <summary>Polls the instance until <paramref name="condition"/> holds; fails the test on timeout.</summary>
    protected static async Task<OrchestrationMetadata> WaitUntilAsync(
        DurableTaskClient client, string instanceId, Func<OrchestrationMetadata, bool> condition, string what)
    {
        using CancellationTokenSource cts = new(Timeout);
        OrchestrationMetadata? last = null;
        while (!cts.IsCancellationRequested)
        {
            last = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cts.Token);
            if (last is not null && condition(last))
            {
                return last;
            }

            await Task.Delay(25, CancellationToken.None);
        }

        throw new TimeoutException(
            $"Instance {instanceId} did not reach '{what}' within {Timeout}; last status {last?.RuntimeStatus}, custom status {last?.SerializedCustomStatus}.");
    }

    /// <summary>Waits until the orchestration has published <paramref name="customStatus"/> (compared as JSON text).</summary>
    protected static Task<OrchestrationMetadata> WaitForCustomStatusAsync(
        DurableTaskClient client, string instanceId, string customStatus) =>
        WaitUntilAsync(
            client,
            instanceId,
            m => m.SerializedCustomStatus is { } s && m.ReadCustomStatusAs<string>() == customStatus,
            $"custom status {customStatus}");
}
