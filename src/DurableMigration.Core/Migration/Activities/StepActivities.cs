using DurableMigration.Manifest;
using DurableMigration.Providers;
using Microsoft.DurableTask;

namespace DurableMigration.Migration.Activities;

/// <summary>Assesses one database (pre-flight): connectivity, version, size, blocking features.</summary>
public sealed class ValidateDatabaseActivity(IDatabaseProviderCatalog providers, IConnectionResolver resolver, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, AssessmentReport>(MigrationNames.StepName(MigrationStep.Validate))
{
    /// <inheritdoc/>
    protected override async Task<AssessmentReport> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        DrillFailureException.ThrowIf(input.InjectFailure, input.Database.Name, MigrationStep.Validate);
        var (provider, endpoints) = await EndpointResolution.ResolveAsync(providers, resolver, input.Database, shutdown.Token).ConfigureAwait(false);
        return await provider.AssessAsync(endpoints with { Mode = input.Mode }, input.Database.Validation, shutdown.Token).ConfigureAwait(false);
    }
}

/// <summary>Creates the target's schema, replacing a partial target from an earlier attempt.</summary>
public sealed class MigrateSchemaActivity(IDatabaseProviderCatalog providers, IConnectionResolver resolver, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, SchemaCopyResult>(MigrationNames.StepName(MigrationStep.Migrate))
{
    /// <inheritdoc/>
    protected override async Task<SchemaCopyResult> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        DrillFailureException.ThrowIf(input.InjectFailure, input.Database.Name, MigrationStep.Migrate);
        var (provider, endpoints) = await EndpointResolution.ResolveAsync(providers, resolver, input.Database, shutdown.Token).ConfigureAwait(false);
        return await provider.CopySchemaAsync(endpoints, shutdown.Token).ConfigureAwait(false);
    }
}

/// <summary>Copies the data, publishing progress for the monitor loop; in online mode the copy also starts the replication that keeps the target in sync.</summary>
public sealed class CopyDataActivity(IDatabaseProviderCatalog providers, IConnectionResolver resolver, IMigrationProgressStore progress, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, DataCopyResult>(MigrationNames.StepName(MigrationStep.Migrate))
{
    /// <inheritdoc/>
    protected override async Task<DataCopyResult> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (provider, endpoints) = await EndpointResolution.ResolveAsync(providers, resolver, input.Database, shutdown.Token).ConfigureAwait(false);
        endpoints = endpoints with { Mode = input.Mode };
        var report = new SynchronousProgress(p => progress.Report(input.WaveId, input.Database.Name, p));
        return input.Mode == MigrationMode.Online
            ? await provider.StartReplicationAsync(endpoints, report, shutdown.Token).ConfigureAwait(false)
            : await provider.CopyDataAsync(endpoints, report, shutdown.Token).ConfigureAwait(false);
    }

    /// <summary>Reports on the caller's thread: <see cref="Progress{T}"/> would post to the thread pool and reorder reports.</summary>
    private sealed class SynchronousProgress(Action<CopyProgress> report) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value) => report(value);
    }
}

/// <summary>Reads an online migration's replication state and lag (the monitor step while the target syncs).</summary>
public sealed class GetReplicationStatusActivity(IDatabaseProviderCatalog providers, IConnectionResolver resolver, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, ReplicationStatus>(MigrationNames.StepName(MigrationStep.Monitor))
{
    /// <inheritdoc/>
    protected override async Task<ReplicationStatus> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        DrillFailureException.ThrowIf(input.InjectFailure, input.Database.Name, MigrationStep.Monitor);
        var (provider, endpoints) = await EndpointResolution.ResolveAsync(providers, resolver, input.Database, shutdown.Token).ConfigureAwait(false);
        return await provider.GetReplicationStatusAsync(endpoints with { Mode = input.Mode }, shutdown.Token).ConfigureAwait(false);
    }
}

/// <summary>Reads the latest copy progress (the monitor step).</summary>
public sealed class GetCopyProgressActivity(IMigrationProgressStore progress, IWorkerShutdown shutdown) : MigrationActivity<ProgressQuery, CopyProgress?>(MigrationNames.StepName(MigrationStep.Monitor))
{
    /// <inheritdoc/>
    protected override Task<CopyProgress?> RunCoreAsync(TaskActivityContext context, ProgressQuery input)
    {
        ArgumentNullException.ThrowIfNull(input);
        DrillFailureException.ThrowIf(input.InjectFailure, input.Database, MigrationStep.Monitor);
        return progress.GetAsync(input.WaveId, input.Database, shutdown.Token);
    }
}

/// <summary>Makes the source read-only for cutover.</summary>
public sealed class CutoverActivity(IDatabaseProviderCatalog providers, IConnectionResolver resolver, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, bool>(MigrationNames.StepName(MigrationStep.Cutover))
{
    /// <inheritdoc/>
    protected override async Task<bool> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        DrillFailureException.ThrowIf(input.InjectFailure, input.Database.Name, MigrationStep.Cutover);
        var (provider, endpoints) = await EndpointResolution.ResolveAsync(providers, resolver, input.Database, shutdown.Token).ConfigureAwait(false);
        await provider.MakeSourceReadOnlyAsync(endpoints, shutdown.Token).ConfigureAwait(false);
        return true;
    }
}

/// <summary>Applies to the target exactly the source rows that changed since the copy began (the final sync, with the source read-only); <c>null</c> when the engine's provider records no changes.</summary>
public sealed class SyncChangesActivity(IDatabaseProviderCatalog providers, IConnectionResolver resolver, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, ChangeSyncResult?>(MigrationNames.StepName(MigrationStep.Cutover))
{
    /// <inheritdoc/>
    protected override async Task<ChangeSyncResult?> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (provider, endpoints) = await EndpointResolution.ResolveAsync(providers, resolver, input.Database, shutdown.Token).ConfigureAwait(false);
        return provider.SupportsChangeSync ? await provider.SyncChangesAsync(endpoints, shutdown.Token).ConfigureAwait(false) : null;
    }
}

/// <summary>Compares source and target.</summary>
public sealed class PostValidateActivity(IDatabaseProviderCatalog providers, IConnectionResolver resolver, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, ValidationReport>(MigrationNames.StepName(MigrationStep.PostValidate))
{
    /// <inheritdoc/>
    protected override async Task<ValidationReport> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        DrillFailureException.ThrowIf(input.InjectFailure, input.Database.Name, MigrationStep.PostValidate);
        var (provider, endpoints) = await EndpointResolution.ResolveAsync(providers, resolver, input.Database, shutdown.Token).ConfigureAwait(false);
        return await provider.ValidateAsync(endpoints, input.Database.Validation, shutdown.Token).ConfigureAwait(false);
    }
}

/// <summary>Points the database's consumers at the target in the connection registry.</summary>
public sealed class RemediateActivity(IConnectionRegistry registry, IWorkerShutdown shutdown) : MigrationActivity<DatabaseStepInput, ConnectionEntry?>(MigrationNames.StepName(MigrationStep.Remediate))
{
    /// <inheritdoc/>
    protected override Task<ConnectionEntry?> RunCoreAsync(TaskActivityContext context, DatabaseStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        DrillFailureException.ThrowIf(input.InjectFailure, input.Database.Name, MigrationStep.Remediate);
        var target = input.Database.Target;
        return registry.SwitchAsync(input.Database.Name, target.Connection, target.Engine, $"cutover of wave {input.WaveId}", shutdown.Token);
    }
}
