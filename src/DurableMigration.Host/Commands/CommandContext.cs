using System.Globalization;
using DurableMigration.Application;
using DurableMigration.Host.Console;
using DurableMigration.Host.Hosting;
using DurableMigration.Host.Output;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Host.Commands;

/// <summary>What one <c>dmig</c> command runs with: where its state is, where its output goes, and service overrides (tests).</summary>
/// <param name="Settings">The data directory and durability.</param>
/// <param name="Output">Where the result, progress and errors go.</param>
/// <param name="Configure">Replaces services of the host (tests, alternative providers).</param>
internal sealed record CommandContext(HostSettings Settings, CommandOutput Output, Action<IServiceCollection>? Configure)
{
    /// <summary>Gets the command line as typed, recorded by the process that runs the engine (<c>dmig run wave.json</c>).</summary>
    public string Command { get; init; } = "dmig";

    /// <summary>Gets the wave renderer for people (stdout for tables, stderr in json/yaml mode).</summary>
    public WaveConsole Ui => Output.Ui;

    /// <summary>Creates the host, creating the data directory if needed: for commands that start work.</summary>
    public DmigHost CreateHost() => Settings.CreateHost(Configure);

    /// <summary>Creates the host as <see cref="CreateHost()"/> does, with <paramref name="services"/> applied before the command's overrides.</summary>
    public DmigHost CreateHost(Action<IServiceCollection> services) => Settings.CreateHost(s =>
    {
        services(s);
        Configure?.Invoke(s);
    });

    /// <summary>
    /// Opens the host of an existing data directory, or reports where it looked and returns <c>null</c>: commands that
    /// read or act on waves never create an empty data directory.
    /// </summary>
    public DmigHost? OpenExistingHost()
    {
        if (Settings.DataDirectoryExists)
        {
            return Settings.CreateHost(Configure);
        }

        Output.Fail(
            DmigCommandLine.BadInput,
            "No data directory",
            $"No dmig data directory at {Settings.DataDirectory} (from {Settings.DataDirectorySource}). Run dmig where the wave was started, or name its data directory with --data-dir or {HostSettings.DataDirectoryVariable}.");
        return null;
    }

    /// <summary>
    /// Opens the existing data directory's host and reads <paramref name="waveId"/>; on failure reports why (no data
    /// directory, no such wave) and returns no host with the exit code. The caller disposes the host.
    /// </summary>
    public async Task<(OpenedWave? Opened, int ExitCode)> OpenWaveAsync(string waveId, bool getInputsAndOutputs, CancellationToken ct)
    {
        var host = OpenExistingHost();
        if (host is null)
        {
            return (null, DmigCommandLine.BadInput);
        }

        var wave = await host.Client.GetInstanceAsync(waveId, getInputsAndOutputs, ct).ConfigureAwait(false);
        if (wave is null)
        {
            await host.DisposeAsync().ConfigureAwait(false);
            return (null, NoSuchWave(waveId));
        }

        return (new OpenedWave(host, wave), DmigCommandLine.Success);
    }

    /// <summary>Reports that <paramref name="waveId"/> is not in the data directory; returns the exit code.</summary>
    public int NoSuchWave(string waveId) =>
        Output.Fail(DmigCommandLine.BadInput, "No such wave", $"No wave '{waveId}' in {Settings.DataDirectory}. 'dmig status' lists the waves there.");

    /// <summary>
    /// Reports a refusal of the application layer about <paramref name="waveId"/> with its exit code (an unknown wave in
    /// this command's words, naming the data directory): an unknown wave or database and bad input are
    /// <see cref="DmigCommandLine.BadInput"/>, a request the wave's state refuses is <see cref="DmigCommandLine.NotCompleted"/>.
    /// </summary>
    public int Refuse(Refusal refusal, string waveId) => refusal switch
    {
        { Kind: RefusalKind.NotFound, Title: "No such wave" } => NoSuchWave(waveId),
        { Kind: RefusalKind.NotFound or RefusalKind.BadInput } => Output.Fail(DmigCommandLine.BadInput, refusal.Title, refusal.Detail, refusal.Errors.Select(e => (e.Path, e.Message))),
        _ => Output.Fail(DmigCommandLine.NotCompleted, refusal.Title, refusal.Detail, refusal.Errors.Select(e => (e.Path, e.Message))),
    };

    /// <summary>Reads and checks a manifest; reports every error and returns <c>null</c> when it is not valid.</summary>
    public async Task<WaveManifest?> LoadManifestAsync(FileInfo file, CancellationToken ct)
    {
        if (!file.Exists)
        {
            Output.Fail(DmigCommandLine.BadInput, "Manifest not found", $"Manifest not found: {file.FullName}");
            return null;
        }

        try
        {
            return WaveManifestReader.Parse(await File.ReadAllTextAsync(file.FullName, ct).ConfigureAwait(false), file.Name);
        }
        catch (ManifestValidationException ex)
        {
            Output.Fail(DmigCommandLine.BadInput, "Invalid manifest", $"{file.Name}: {ex.Errors.Count} error(s)", ex.Errors.Select(e => (e.Path, e.Message)));
            return null;
        }
    }

    /// <summary>
    /// Hosts the runtime and shows the instance until it ends; success when it ends with <paramref name="success"/>. With
    /// <paramref name="timeout"/>, stops waiting when it expires and exits <see cref="DmigCommandLine.NeedsAttention"/>:
    /// the wave stays saved and the same command resumes it.
    /// </summary>
    public Task<int> WatchToEndAsync(DmigHost host, string instanceId, CancellationToken ct, WaveOutcome success = WaveOutcome.Completed, TimeSpan? timeout = null) =>
        WatchAsync(host, instanceId, hostRuntime: true, timeout, success, ct);

    /// <summary>
    /// Shows the instance until it ends, hosting the runtime in this process when <paramref name="hostRuntime"/> is set
    /// (else read-only: another process must host it); returns the exit code of its outcome, or
    /// <see cref="DmigCommandLine.NeedsAttention"/> when <paramref name="timeout"/> stops the wait first. When another live
    /// process already runs the engine on the data directory, says so and watches read-only, taking over should that
    /// process stop first.
    /// </summary>
    public async Task<int> WatchAsync(DmigHost host, string instanceId, bool hostRuntime, TimeSpan? timeout, WaveOutcome success, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout is { } limit)
        {
            deadline.CancelAfter(limit);
        }

        using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task takeOver = Task.CompletedTask;
        try
        {
            if (hostRuntime && await host.TryStartEngineAsync(Command, ct).ConfigureAwait(false) is { } runner)
            {
                Output.Warn($"Wave {instanceId} is being run by {runner.Description}; watching it read-only. This process takes over if that one stops first.");
                takeOver = TakeOverAsync(host, instanceId, watching.Token);
            }

            var view = await Ui.WatchAsync(host.Client, instanceId, deadline.Token).ConfigureAwait(false);
            Output.Result(() => WaveConsole.StatusNode(view.Wave), _ => Ui.WriteSummary(view));
            return view.Result?.Outcome == success ? DmigCommandLine.Success : DmigCommandLine.NotCompleted;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Output.Fail(
                DmigCommandLine.Interrupted,
                "Interrupted",
                host.IsRemote ? $"Stopped watching {instanceId}; the workers of task hub {host.RemoteTaskHub} go on with it."
                : hostRuntime ? $"Interrupted. The wave is saved in {host.DataDirectory}; run the same command again to continue."
                : $"Stopped watching {instanceId}; the wave itself is unchanged.");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return await TimedOutAsync(host, instanceId, timeout!.Value, hostRuntime, ct).ConfigureAwait(false);
        }
        finally
        {
            await watching.CancelAsync().ConfigureAwait(false);
            await takeOver.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>The live process running the engine on the data directory, or <c>null</c> when none does.</summary>
    /// <remarks>On a remote task hub there is no such process: the hub's workers run every wave.</remarks>
    public Task<EngineRunner?> FindRunnerAsync(CancellationToken ct) => IsRemote
        ? Task.FromResult<EngineRunner?>(null)
        : EngineLock.FindLiveAsync(Settings.DataDirectory, ct);

    /// <summary>Gets a value indicating whether the waves run on a remote task hub, moved on by <c>dmig worker</c> processes.</summary>
    public bool IsRemote => Settings.Backend.Kind != BackendKind.Embedded;

    /// <summary>Says on stderr that nothing acts on what was just asked until <c>dmig run</c> (or <c>dmig demo</c>) resumes the wave, when no live process runs it.</summary>
    public async Task WarnWhenNobodyRunsAsync(string waveId, string what, CancellationToken ct)
    {
        if (!IsRemote && await FindRunnerAsync(ct).ConfigureAwait(false) is null)
        {
            Output.Warn($"No process is running wave {waveId}: nothing acts on {what} until {ResumeCommand(waveId)} resumes the wave.");
        }
    }

    /// <summary>
    /// Before resuming a wave that no live process runs (the caller checks: a live one goes on with its copies): says
    /// on stderr which databases' copies start over, because the provider rebuilds a copy cut short from scratch.
    /// </summary>
    public async Task WarnRestartingCopiesAsync(DmigHost host, string waveId, CancellationToken ct)
    {
        var view = await WaveView.LoadAsync(host.Client, waveId, ct).ConfigureAwait(false);
        if (view is null || view.Wave.IsCompleted || host.IsRemote)
        {
            return;
        }

        foreach (string name in view.DatabaseNames.Where(n => view.StateOf(n) == DatabaseState.Migrating))
        {
            view.Databases.TryGetValue(name, out var live);
            string reached = live?.Progress is { RowsCopied: > 0 } p
                ? string.Create(CultureInfo.InvariantCulture, $" (it had copied {p.RowsCopied:N0} of {p.RowsTotal:N0} rows)")
                : string.Empty;
            Output.Warn($"{name}: the interrupted copy starts over from the beginning{reached}; copies are not resumable, the target is rebuilt.");
        }
    }

    /// <summary>The command that resumes <paramref name="waveId"/>: <c>dmig demo</c> for demo waves, else <c>dmig run &lt;manifest&gt;</c>.</summary>
    public static string ResumeCommand(string waveId) =>
        waveId.StartsWith("demo-", StringComparison.Ordinal) ? "`dmig demo`" : "`dmig run <manifest>`";

    /// <summary>Polls the engine lock while watching read-only; starts the engine here once the other process let go.</summary>
    private async Task TakeOverAsync(DmigHost host, string instanceId, CancellationToken ct)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            if (await host.TryStartEngineAsync(Command, ct).ConfigureAwait(false) is null)
            {
                Output.Warn($"The process that ran wave {instanceId} stopped; this process runs it now.");
                return;
            }
        }
    }

    /// <summary>The wait expired before the instance ended: print where it stands and exit with NeedsAttention.</summary>
    private async Task<int> TimedOutAsync(DmigHost host, string instanceId, TimeSpan timeout, bool hostRuntime, CancellationToken ct)
    {
        var view = await WaveView.LoadAsync(host.Client, instanceId, ct).ConfigureAwait(false);
        if (view is null)
        {
            return NoSuchWave(instanceId);
        }

        var waiting = view.DatabaseNames
            .Select(name => (name, state: view.StateOf(name)))
            .Where(d => d.state is DatabaseState.NeedsAttention or DatabaseState.AwaitingApproval)
            .Select(d => $"{d.name} {WaveConsole.Display(d.state)}")
            .ToList();
        Output.Result(() => WaveConsole.StatusNode(view.Wave), console => console.Write(WaveConsole.LiveTable(view)));
        string where = waiting.Count > 0 ? string.Join(", ", waiting) : $"the wave is {view.Wave.RuntimeStatus}";
        return Output.Fail(
            DmigCommandLine.NeedsAttention,
            "Stopped waiting",
            $"Stopped waiting for {instanceId} after {timeout}: {where}. {(hostRuntime ? "The wave is saved; run the same command again to continue it." : "The wave itself is unchanged.")}");
    }
}

/// <summary>A wave (or any instance) of an existing data directory, with the host it was read through.</summary>
/// <param name="Host">The host over the data directory; the command disposes it.</param>
/// <param name="Wave">The instance as read.</param>
internal sealed record OpenedWave(DmigHost Host, Microsoft.DurableTask.Client.OrchestrationMetadata Wave);
