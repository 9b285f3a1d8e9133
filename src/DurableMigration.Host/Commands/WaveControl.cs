using DurableMigration.Application;
using DurableMigration.Host.Hosting;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Host.Commands;

/// <summary>What terminate, suspend and resume share: the instances a request goes to, and seeing it applied.</summary>
/// <remarks>
/// Requests are events in the task hub: a <c>dmig run</c> hosting the wave applies them within its polling interval.
/// When none does, the command hosts the runtime itself until they are applied, so a request never waits unseen.
/// </remarks>
internal static class WaveControl
{
    /// <summary>How long a process already hosting the wave gets to apply a request (it polls every 250 ms).</summary>
    private static readonly TimeSpan HostedGrace = TimeSpan.FromSeconds(3);

    /// <summary>How long this command hosts the runtime to apply a request itself.</summary>
    private static readonly TimeSpan SelfHostedLimit = TimeSpan.FromSeconds(60);

    /// <summary>
    /// What terminate, suspend and resume do alike: open the data directory, record the request with
    /// <paramref name="record"/> (a refusal is reported), wait until <paramref name="applied"/> holds for the instances
    /// <paramref name="watch"/> names, and then <paramref name="report"/> the outcome; <paramref name="requestName"/>
    /// (<c>suspension</c>) names the request when nobody applied it in time.
    /// </summary>
    public static async Task<int> RunAsync(
        CommandContext context,
        string waveId,
        string requestName,
        Func<WaveOperations, Task<ControlResult>> record,
        Func<ControlResult, IReadOnlyList<string>> watch,
        Func<OrchestrationMetadata, bool> applied,
        Func<DmigHost, ControlResult, AppliedBy, Task<int>> report,
        CancellationToken ct)
    {
        await using var host = context.OpenExistingHost();
        if (host is null)
        {
            return DmigCommandLine.BadInput;
        }

        var result = await record(new WaveOperations(host.Client)).ConfigureAwait(false);
        if (result.Refusal is { } refusal)
        {
            return context.Refuse(refusal, waveId);
        }

        var appliedBy = await AwaitAppliedAsync(host, watch(result), applied, ct).ConfigureAwait(false);
        return appliedBy == AppliedBy.Nobody
            ? context.Output.Fail(DmigCommandLine.NotCompleted, "Not applied yet", NotAppliedYet(requestName, waveId, host.RemoteTaskHub))
            : await report(host, result, appliedBy).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until every one of <paramref name="instanceIds"/> satisfies <paramref name="applied"/> (or has ended), first
    /// for a process hosting the wave, then hosting the runtime here. Returns who applied it, or that nobody did in time.
    /// </summary>
    public static async Task<AppliedBy> AwaitAppliedAsync(DmigHost host, IReadOnlyList<string> instanceIds, Func<OrchestrationMetadata, bool> applied, CancellationToken ct)
    {
        if (await PollAsync(host.Client, instanceIds, applied, HostedGrace, ct).ConfigureAwait(false))
        {
            return AppliedBy.RunningProcess;
        }

        // A live process holding the engine lock applies it in its own time; else this command hosts the runtime. On a
        // remote task hub the hub's workers apply it: nothing is hosted here.
        bool hostedHere = !host.IsRemote && await host.TryStartEngineAsync("dmig control", ct).ConfigureAwait(false) is null;
        return await PollAsync(host.Client, instanceIds, applied, SelfHostedLimit, ct).ConfigureAwait(false)
            ? hostedHere ? AppliedBy.ThisCommand : AppliedBy.RunningProcess
            : AppliedBy.Nobody;
    }

    /// <summary>What a command says when nobody applied its request in time (a busy or stuck task hub, or one without workers).</summary>
    public static string NotAppliedYet(string request, string waveId, string? remoteTaskHub = null) => remoteTaskHub is null
        ? $"The {request} of '{waveId}' is recorded but was not applied within {SelfHostedLimit.TotalSeconds:0} s; it applies when 'dmig run' next hosts the wave. 'dmig status {waveId}' shows when it has."
        : $"The {request} of '{waveId}' is recorded but was not applied within {SelfHostedLimit.TotalSeconds:0} s; it applies when a worker of task hub {remoteTaskHub} takes it (is one running? 'dmig worker --backend azure-storage --hub {remoteTaskHub}'). 'dmig status {waveId}' shows when it has.";

    private static async Task<bool> PollAsync(DurableTaskClient client, IReadOnlyList<string> instanceIds, Func<OrchestrationMetadata, bool> applied, TimeSpan limit, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            bool all = true;
            foreach (string id in instanceIds)
            {
                var instance = await client.GetInstanceAsync(id, cancellation: ct).ConfigureAwait(false);
                all &= instance is null || instance.IsCompleted || applied(instance);
            }

            if (all)
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }
}

/// <summary>Who applied a terminate, suspend or resume request.</summary>
internal enum AppliedBy
{
    /// <summary>A process already hosting the wave (a running <c>dmig run</c>, or a worker of the remote task hub).</summary>
    RunningProcess,

    /// <summary>This command, hosting the runtime because no process did.</summary>
    ThisCommand,

    /// <summary>Nobody, within the time allowed.</summary>
    Nobody,
}
