using DurableMigration.Providers;
using Microsoft.DurableTask;

namespace DurableMigration.Migration.Activities;

/// <summary>Compensation of the copy: removes the (partial) target.</summary>
public sealed class DropTargetActivity(IDatabaseProviderCatalog providers, IConnectionResolver resolver, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, bool>(RollbackStep)
{
    /// <inheritdoc/>
    protected override async Task<bool> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (provider, endpoints) = await EndpointResolution.ResolveAsync(providers, resolver, input.Database, shutdown.Token).ConfigureAwait(false);
        await provider.DropTargetAsync(endpoints, shutdown.Token).ConfigureAwait(false);
        return true;
    }
}

/// <summary>Compensation of cutover: makes the source writable again; needs only the source's connection.</summary>
public sealed class MakeSourceWritableActivity(IDatabaseProviderCatalog providers, IConnectionResolver resolver, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, bool>(RollbackStep)
{
    /// <inheritdoc/>
    protected override async Task<bool> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (provider, endpoints) = await EndpointResolution.ResolveSourceAsync(providers, resolver, input.Database, shutdown.Token).ConfigureAwait(false);
        await provider.MakeSourceWritableAsync(endpoints, shutdown.Token).ConfigureAwait(false);
        return true;
    }
}

/// <summary>Before compensating: resolves a database's connection references without connecting, and names those that cannot be resolved.</summary>
public sealed class ResolveConnectionsActivity(IConnectionResolver resolver, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, ConnectionCheck>(RollbackStep)
{
    /// <inheritdoc/>
    protected override async Task<ConnectionCheck> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string? source = await TryResolveAsync("source", input.Database.Source.Connection).ConfigureAwait(false);
        string? target = await TryResolveAsync("target", input.Database.Target.Connection).ConfigureAwait(false);
        return new ConnectionCheck(source, target);
    }

    /// <summary>Null when <paramref name="reference"/> resolves; else why not. Only the resolver's non-retriable errors are answers: others fail the activity, to be retried.</summary>
    private async Task<string?> TryResolveAsync(string role, string reference)
    {
        try
        {
            await resolver.ResolveAsync(reference, shutdown.Token).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is INonRetriableException)
        {
            return reference.StartsWith("env:", StringComparison.Ordinal)
                ? $"{role} connection {reference} is not set"
                : $"{role} connection {reference} cannot be resolved: {ex.Message}";
        }
    }
}

/// <summary>Compensation of remediation: points consumers back at the source.</summary>
public sealed class SwitchConsumersBackActivity(IConnectionRegistry registry, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, ConnectionEntry?>(RollbackStep)
{
    /// <inheritdoc/>
    protected override Task<ConnectionEntry?> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var source = input.Database.Source;
        return registry.SwitchAsync(input.Database.Name, source.Connection, source.Engine, $"rollback of wave {input.WaveId}", shutdown.Token);
    }
}

/// <summary>Raises an alert: log, and the wave's webhook when it has one.</summary>
public sealed class SendAlertActivity(IAlertSink sink, IWorkerShutdown shutdown) : MigrationActivity<AlertRequest, bool>("alert")
{
    /// <inheritdoc/>
    protected override async Task<bool> RunCoreAsync(TaskActivityContext context, AlertRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await sink.SendAsync(input.Alert, input.Webhook, shutdown.Token).ConfigureAwait(false);
        return true;
    }
}

/// <summary>An alert and where to send it.</summary>
/// <param name="Alert">The alert.</param>
/// <param name="Webhook">The wave's webhook, if any.</param>
public sealed record AlertRequest(MigrationAlert Alert, Uri? Webhook);

/// <summary>Computes when the next maintenance window opens; an activity because time-zone rules come from the machine's time-zone database.</summary>
public sealed class NextCutoverWindowActivity() : MigrationActivity<WindowQuery, DateTime?>(MigrationNames.StepName(MigrationStep.Cutover))
{
    /// <inheritdoc/>
    protected override Task<DateTime?> RunCoreAsync(TaskActivityContext context, WindowQuery input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Task.FromResult(MaintenanceWindowCalculator.NextOpening(input.Window, input.UtcNow));
    }
}

/// <summary>A maintenance window and the orchestration's current time.</summary>
/// <param name="Window">The window.</param>
/// <param name="UtcNow">The orchestration's current time (UTC).</param>
public sealed record WindowQuery(Manifest.MaintenanceWindow Window, DateTime UtcNow);

/// <summary>Records the target's state at cutover, before consumers move to it, so a later rollback can tell whether they wrote to it.</summary>
public sealed class RecordTargetBaselineActivity(IDatabaseProviderCatalog providers, IConnectionResolver resolver, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, TargetBaseline>(MigrationNames.StepName(MigrationStep.Remediate))
{
    /// <inheritdoc/>
    protected override async Task<TargetBaseline> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (provider, endpoints) = await EndpointResolution.ResolveAsync(providers, resolver, input.Database, shutdown.Token).ConfigureAwait(false);
        return await provider.RecordTargetBaselineAsync(endpoints, shutdown.Token).ConfigureAwait(false);
    }
}

/// <summary>Tells whether the target changed since cutover (consumers wrote to it), before a rollback drops it.</summary>
public sealed class GetTargetChangesActivity(IDatabaseProviderCatalog providers, IConnectionResolver resolver, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, TargetChanges>(RollbackStep)
{
    /// <inheritdoc/>
    protected override async Task<TargetChanges> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (provider, endpoints) = await EndpointResolution.ResolveAsync(providers, resolver, input.Database, shutdown.Token).ConfigureAwait(false);
        return await provider.GetTargetChangesAsync(endpoints, shutdown.Token).ConfigureAwait(false);
    }
}

/// <summary>Rollback with <c>--copy-back</c>: applies the target's changes since cutover to the source (a reverse sync), leaving the target read-only.</summary>
public sealed class CopyBackActivity(IDatabaseProviderCatalog providers, IConnectionResolver resolver, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, ChangeSyncResult>(RollbackStep)
{
    /// <inheritdoc/>
    protected override async Task<ChangeSyncResult> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (provider, endpoints) = await EndpointResolution.ResolveAsync(providers, resolver, input.Database, shutdown.Token).ConfigureAwait(false);
        return await provider.CopyBackAsync(endpoints, shutdown.Token).ConfigureAwait(false);
    }
}

/// <summary>Rollback with <c>--discard-target-writes</c>: makes the target read-only and keeps a backup file of it before it is dropped; returns the file's path.</summary>
public sealed class BackupTargetActivity(IDatabaseProviderCatalog providers, IConnectionResolver resolver, TargetBackupDirectory backups, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, string?>(RollbackStep)
{
    /// <inheritdoc/>
    protected override async Task<string?> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(backups);
        var (provider, endpoints) = await EndpointResolution.ResolveAsync(providers, resolver, input.Database, shutdown.Token).ConfigureAwait(false);
        await provider.MakeTargetReadOnlyAsync(endpoints, shutdown.Token).ConfigureAwait(false);
        return await provider.BackupTargetAsync(endpoints, backups.Path, shutdown.Token).ConfigureAwait(false);
    }
}
