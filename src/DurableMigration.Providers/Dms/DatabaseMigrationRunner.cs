using System.Globalization;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableMigration.Providers.Dms;

/// <summary>
/// Runs one database's Azure Database Migration Service migration the way the provider port (<see cref="IDatabaseProvider"/>) needs it:
/// an idempotent offline copy with progress, an online start that returns once cutover is allowed, the replication's state, the
/// cutover, and the compensation (cancel, then remove what the migration created). The data-movement half of engine <c>sqlserver</c>.
/// </summary>
/// <remarks>
/// <para><b>State machine driven.</b> Start: read the migration (<c>GET ...databaseMigrations/{db}?$expand=MigrationStatusDetails</c>);
/// one for the same source database that is <c>InProgress</c>, <c>ReadyForCutover</c>, <c>Completing</c> or <c>Succeeded</c> is attached to
/// (an activity that crashed and runs again does not start a second migration); a <c>Failed</c> or <c>Canceled</c> one (or a failed
/// provisioning) is created again with <c>PUT</c>; one still <c>Canceling</c> is waited for first. Then the status is read every
/// <see cref="DatabaseMigrationRunnerOptions.PollInterval"/>: offline until <c>Succeeded</c>; online until the full backup is restored and
/// log backups are being applied (<see cref="DatabaseMigrationStatus.IsReadyForCutover"/>: <c>ReadyForCutover</c>, or <c>InProgress</c> with
/// <c>isFullBackupRestored</c>, nothing in <c>restoreBlockingReason</c>). Cutover waits for <c>pendingLogBackupsCount</c> 0, posts
/// <c>cutover</c> with the operation id, and reads until <c>Succeeded</c> (through <c>Completing</c>).</para>
/// <para><b>Errors.</b> A migration that ends <c>Failed</c> raises <see cref="DatabaseMigrationFailedException"/> (permanent) with the service's
/// code and message; Resource Manager trouble that may pass (429 beyond Azure.Core's retries, 408, 5xx, 409 <c>OperationInProgress</c>, a
/// broken connection) raises a retriable <see cref="DatabaseProviderException"/>; refusals raise <see cref="PermanentDatabaseProviderException"/>.
/// Messages never carry a password or account key: they are built from the service's error and the names of database and target.</para>
/// <para><b>Target databases.</b> Azure SQL Database: DMS copies data only, so the target database and its schema must exist before
/// (<see cref="PrepareAsync"/> checks it); compensation never deletes it (emptying copied tables is the SQL side's job). Managed instance:
/// the restore creates the database, so compensation deletes it through <c>Microsoft.Sql</c> (api-version
/// <see cref="DatabaseMigrationServiceClient.SqlApiVersion"/>), but only when <see cref="DatabaseMigrationPlan.TargetDatabaseExisted"/> is
/// <see langword="false"/>. SQL Server on Azure VM: the database is no Resource Manager resource; dropping a partial one is left to the SQL
/// side (<c>DROP DATABASE</c> over SqlClient).</para>
/// </remarks>
public sealed class DatabaseMigrationRunner
{
    private readonly DatabaseMigrationServiceClient _client;
    private readonly TimeSpan _pollInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Initializes a runner on <paramref name="client"/>.</summary>
    /// <param name="client">The Resource Manager client for DMS and the target databases.</param>
    /// <param name="options">The poll interval and clock; defaults when <see langword="null"/>.</param>
    /// <param name="logger">Where progress and decisions are logged; none when <see langword="null"/>.</param>
    public DatabaseMigrationRunner(DatabaseMigrationServiceClient client, DatabaseMigrationRunnerOptions? options = null, ILogger<DatabaseMigrationRunner>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        options ??= new DatabaseMigrationRunnerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PollInterval, TimeSpan.Zero, nameof(options));
        _client = client;
        _pollInterval = options.PollInterval;
        _time = options.TimeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>
    /// Reads the target before the first start and returns the plan with <see cref="DatabaseMigrationPlan.TargetDatabaseExisted"/> set: keep
    /// that plan (record the activity's output) for every later call. Azure SQL Database: the target database must exist (DMS copies data
    /// only). Managed instance: <c>GET</c> of the <c>Microsoft.Sql</c> database; 404 means the migration will create it (so compensation may
    /// delete it). SQL VM: left unknown. A plan that already says is returned as it is.
    /// </summary>
    /// <param name="plan">The plan.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The plan, with what was learned.</returns>
    /// <exception cref="PermanentDatabaseProviderException">The Azure SQL Database target database does not exist, or Resource Manager refused the read.</exception>
    /// <exception cref="DatabaseProviderException">Resource Manager trouble that may pass.</exception>
    public async Task<DatabaseMigrationPlan> PrepareAsync(DatabaseMigrationPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.TargetDatabaseExisted is not null || plan.Target.Kind == DatabaseMigrationTargetKind.SqlVm)
        {
            return plan;
        }

        try
        {
            if (plan.Target.Kind == DatabaseMigrationTargetKind.SqlMi)
            {
                // A migration of ours in progress or done means the database is the restore's (a managed instance refuses to restore over one).
                DatabaseMigrationStatus? migration = await _client.GetIfExistsAsync(plan.Target, expandDetails: false, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (migration is not null && IsAlive(migration) && SameSource(migration, plan.Request))
                {
                    return plan with { TargetDatabaseExisted = false };
                }
            }

            TargetDatabaseStatus? database = await _client.GetTargetDatabaseAsync(plan.Target, cancellationToken).ConfigureAwait(false);
            if (plan.Target.Kind == DatabaseMigrationTargetKind.SqlDb && database is null)
            {
                throw new PermanentDatabaseProviderException(
                    plan.Database,
                    $"The target database {plan.Target.TargetDatabaseName} does not exist on server {plan.Target.TargetName}: the Database Migration Service copies data only into an existing Azure SQL Database with its schema. Create it and its schema first, then run again.");
            }

            return plan with { TargetDatabaseExisted = database is not null };
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Translate(plan, "reading the target database", e);
        }
    }

    /// <summary>
    /// Runs an offline migration to its end: starts it, or attaches to the one already running or done for the same source, then reads its
    /// status every poll interval, reporting progress after each read, until it succeeds.
    /// </summary>
    /// <param name="plan">An offline plan.</param>
    /// <param name="progress">
    /// Receives progress after each read. Azure SQL Database: the table in flight, rows copied (all tables), <see cref="DatabaseMigrationPlan.ExpectedRows"/>
    /// as the total (0 when unknown: the service reports no table sizes), bytes written, and one <see cref="TableProgress"/> per table
    /// (in flight first). Managed instance and VM: a restore reports no rows; <see cref="CopyProgress.Table"/> says what is being restored
    /// (<c>restoring full backup orders_full.bak</c>), bytes are the restored backup files' sizes, <see cref="CopyProgress.Tables"/> is <see langword="null"/>.
    /// </param>
    /// <param name="cancellationToken">Stops waiting; the service's migration goes on (a later call attaches to it).</param>
    /// <returns>Azure SQL Database: rows copied per table; managed instance and VM: no tables, no rows, the restored backups' bytes.</returns>
    /// <exception cref="PermanentDatabaseProviderException">The plan is online, another migration writes to the target, or Resource Manager refused a call.</exception>
    /// <exception cref="DatabaseMigrationFailedException">The migration ended <c>Failed</c> or was canceled.</exception>
    /// <exception cref="DatabaseProviderException">Resource Manager trouble that may pass.</exception>
    public async Task<DataCopyResult> CopyAsync(DatabaseMigrationPlan plan, IProgress<CopyProgress>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Online)
        {
            throw new PermanentDatabaseProviderException(
                plan.Database, $"The migration of {plan.Database} to {plan.Target} is online: start it with StartOnlineAsync and finish it with CutoverAsync.");
        }

        try
        {
            DatabaseMigrationStatus status = await StartOrAttachAsync(plan, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                Report(plan, status, progress);
                ThrowIfEnded(plan, status);
                if (status.Succeeded)
                {
                    DataCopyResult result = Result(plan, status);
                    DmsLogs.Copied(_logger, plan.Database, result.Rows, result.Bytes, result.Tables.Count);
                    return result;
                }

                status = await NextAsync(plan, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Translate(plan, "copying", e);
        }
    }

    /// <summary>
    /// Starts an online managed instance or VM migration (or attaches to the one already running for the same source) and returns once
    /// cutover is allowed: the full backup restored and log backups being applied. An already cut over migration returns at once.
    /// </summary>
    /// <param name="plan">An online plan for a managed instance or VM.</param>
    /// <param name="progress">Receives the restore's progress after each read, as <see cref="CopyAsync"/> reports it for a restore.</param>
    /// <param name="cancellationToken">Stops waiting; the migration goes on.</param>
    /// <returns>No tables, no rows (a restore counts none), the restored backups' bytes.</returns>
    /// <exception cref="PermanentDatabaseProviderException">The target is an Azure SQL Database (offline only), the plan is offline, or Resource Manager refused a call.</exception>
    /// <exception cref="DatabaseMigrationFailedException">The migration ended <c>Failed</c> or was canceled.</exception>
    /// <exception cref="DatabaseProviderException">Resource Manager trouble that may pass.</exception>
    public async Task<DataCopyResult> StartOnlineAsync(DatabaseMigrationPlan plan, IProgress<CopyProgress>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        RequireOnline(plan);
        try
        {
            DatabaseMigrationStatus status = await StartOrAttachAsync(plan, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                Report(plan, status, progress);
                ThrowIfEnded(plan, status);
                if (status.IsReadyForCutover || status.Succeeded || IsCompleting(status))
                {
                    DmsLogs.ReadyForCutover(_logger, plan.Database, status.PendingLogBackupsCount);
                    return Result(plan, status);
                }

                status = await NextAsync(plan, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Translate(plan, "starting the online migration", e);
        }
    }

    /// <summary>Reads an online migration's state and lag without changing anything.</summary>
    /// <param name="plan">An online plan for a managed instance or VM.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>
    /// <see cref="ReplicationStatus.State"/> in an operator's words (<c>restoring full backup</c>, <c>restoring log backups</c>, <c>ready for
    /// cutover</c>, <c>restore blocked: ...</c>, <c>cutting over</c>, <c>cut over</c>). The service cannot say how many bytes of log the
    /// target lacks: <see cref="ReplicationStatus.LagBytes"/> holds the size of the log backups seen but not restored yet, and at least 1 per
    /// pending log backup whose size is not reported, so it is 0 exactly when <c>pendingLogBackupsCount</c> is 0 (and the full backup is
    /// restored); <see cref="ReplicationStatus.IsWithin"/> is then true. <see cref="ReplicationStatus.LagSeconds"/> is 0 when nothing is
    /// pending, otherwise the age of the last restored backup's finish time (the source state the target holds), <see langword="null"/> when
    /// not reported. <see cref="ReplicationStatus.Tables"/> is 0: a restore has no table count.
    /// </returns>
    /// <exception cref="PermanentDatabaseProviderException">The target is an Azure SQL Database, or the migration is gone.</exception>
    /// <exception cref="DatabaseMigrationFailedException">The migration failed or was canceled.</exception>
    /// <exception cref="DatabaseProviderException">Resource Manager trouble that may pass.</exception>
    public async Task<ReplicationStatus> GetReplicationStatusAsync(DatabaseMigrationPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        RequireOnline(plan);
        try
        {
            DatabaseMigrationStatus status = await _client.GetIfExistsAsync(plan.Target, cancellationToken: cancellationToken).ConfigureAwait(false)
                ?? throw new PermanentDatabaseProviderException(
                    plan.Database, $"There is no DMS migration of {plan.Database} to {plan.Target} any more: start the online migration again.");
            ThrowIfEnded(plan, status);
            return Replication(status);
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Translate(plan, "reading the replication", e);
        }
    }

    /// <summary>
    /// Cuts an online migration over: waits until every log backup seen is restored, posts <c>cutover</c> with the migration's operation
    /// id, and reads until the migration succeeded. Idempotent: a migration already cut over (or cutting over) is waited for, not cut again.
    /// </summary>
    /// <param name="plan">An online plan for a managed instance or VM.</param>
    /// <param name="cancellationToken">Stops waiting; a posted cutover goes on.</param>
    /// <returns>A final result (<see cref="ChangeSyncResult.Final"/>) with no row counts (a restore reports none) and the time the cutover took.</returns>
    /// <exception cref="PermanentDatabaseProviderException">The target is an Azure SQL Database, the migration is gone, or Resource Manager refused the cutover.</exception>
    /// <exception cref="DatabaseMigrationFailedException">The migration failed or was canceled.</exception>
    /// <exception cref="DatabaseProviderException">Resource Manager trouble that may pass.</exception>
    public async Task<ChangeSyncResult> CutoverAsync(DatabaseMigrationPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        RequireOnline(plan);
        long started = _time.GetTimestamp();
        try
        {
            DatabaseMigrationStatus status = await _client.GetIfExistsAsync(plan.Target, cancellationToken: cancellationToken).ConfigureAwait(false)
                ?? throw new PermanentDatabaseProviderException(
                    plan.Database, $"There is no DMS migration of {plan.Database} to {plan.Target} to cut over: start the online migration first.");
            bool alreadyDone = status.Succeeded || IsCompleting(status);
            if (!alreadyDone)
            {
                // Cut over only once every log backup seen is restored, so the target holds the source's last backed-up write.
                while (!(status.IsReadyForCutover && (status.PendingLogBackupsCount ?? 0) == 0) && !status.Succeeded && !IsCompleting(status))
                {
                    ThrowIfEnded(plan, status);
                    Report(plan, status, null);
                    status = await NextAsync(plan, cancellationToken).ConfigureAwait(false);
                }

                if (!status.Succeeded && !IsCompleting(status))
                {
                    try
                    {
                        await _client.CutoverAsync(plan.Target, status.MigrationOperationId!, cancellationToken).ConfigureAwait(false);
                    }
                    catch (ArmRequestException e) when (e.ErrorCode == "CutoverNotAllowedMigrationCompleteError")
                    {
                        alreadyDone = true;
                    }
                }

                status = await _client.GetAsync(plan.Target, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            while (!status.Succeeded)
            {
                ThrowIfEnded(plan, status);
                status = await NextAsync(plan, cancellationToken).ConfigureAwait(false);
            }

            TimeSpan elapsed = _time.GetElapsedTime(started);
            DmsLogs.CutOver(_logger, plan.Database, (long)elapsed.TotalMilliseconds, alreadyDone);
            return new ChangeSyncResult(0, 0, 0, [], elapsed, Final: true, FullCopy: false);
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Translate(plan, "cutting over", e);
        }
    }

    /// <summary>
    /// Compensation: cancels the migration when it is still running (an ended one is fine), then removes what it created. Azure SQL
    /// Database: deletes the migration resource (the target database existed before and stays; emptying copied tables is the SQL side's
    /// job). Managed instance: deletes the target database through <c>Microsoft.Sql</c> when <see cref="DatabaseMigrationPlan.TargetDatabaseExisted"/>
    /// is <see langword="false"/> (the restore created it, possibly partially), never when it existed before or is unknown. SQL VM: nothing
    /// more; the database is no Resource Manager resource, so dropping a partial one is the SQL side's job. Idempotent.
    /// </summary>
    /// <param name="plan">The plan, as <see cref="PrepareAsync"/> returned it.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="PermanentDatabaseProviderException">Resource Manager refused a call.</exception>
    /// <exception cref="DatabaseProviderException">Resource Manager trouble that may pass.</exception>
    public async Task<DatabaseMigrationCompensation> CancelAndRemoveAsync(DatabaseMigrationPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        try
        {
            var notes = new List<string>();
            bool canceled = false;
            DatabaseMigrationStatus? status = await _client.GetIfExistsAsync(plan.Target, expandDetails: false, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (status is null)
            {
                notes.Add("no migration");
            }
            else
            {
                if (!status.IsTerminal && !string.IsNullOrEmpty(status.MigrationOperationId) && !IsCanceling(status))
                {
                    try
                    {
                        await _client.CancelAsync(plan.Target, status.MigrationOperationId, cancellationToken).ConfigureAwait(false);
                        canceled = true;
                    }
                    catch (ArmRequestException e) when (e.ErrorCode == "MigrationCancelFailed")
                    {
                        // It finished (or was canceled) meanwhile: nothing left to cancel.
                    }
                }

                status = await _client.GetAsync(plan.Target, expandDetails: false, cancellationToken: cancellationToken).ConfigureAwait(false);
                while (!status.IsTerminal && IsCanceling(status))
                {
                    await Task.Delay(_pollInterval, _time, cancellationToken).ConfigureAwait(false);
                    status = await _client.GetAsync(plan.Target, expandDetails: false, cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                notes.Add(canceled ? "migration canceled" : $"migration already {status.MigrationStatus ?? "ended"}");
            }

            bool migrationDeleted = false;
            bool databaseDeleted = false;
            switch (plan.Target.Kind)
            {
                case DatabaseMigrationTargetKind.SqlDb:
                    if (status is not null)
                    {
                        await _client.DeleteAsync(plan.Target, force: true, cancellationToken).ConfigureAwait(false);
                        migrationDeleted = true;
                        notes.Add("migration resource deleted");
                    }

                    notes.Add("target database kept (it existed before; copied rows are the SQL side's to remove)");
                    break;
                case DatabaseMigrationTargetKind.SqlMi when plan.TargetDatabaseExisted == false:
                    databaseDeleted = await _client.DeleteManagedDatabaseAsync(plan.Target, cancellationToken).ConfigureAwait(false);
                    notes.Add(databaseDeleted ? "target database deleted (the migration created it)" : "no target database to delete");
                    break;
                case DatabaseMigrationTargetKind.SqlMi:
                    notes.Add(plan.TargetDatabaseExisted == true
                        ? "target database kept (it existed before the migration)"
                        : "target database kept (whether the migration created it is unknown: the plan was not prepared)");
                    break;
                default:
                    notes.Add("target database left to the SQL side (a SQL VM's databases are no Resource Manager resources)");
                    break;
            }

            string summary = string.Join("; ", notes);
            DmsLogs.Compensated(_logger, plan.Database, summary);
            return new DatabaseMigrationCompensation(canceled, migrationDeleted, databaseDeleted, summary);
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Translate(plan, "canceling and removing", e);
        }
    }

    private async Task<DatabaseMigrationStatus> StartOrAttachAsync(DatabaseMigrationPlan plan, CancellationToken cancellationToken)
    {
        DatabaseMigrationStatus? existing = await _client.GetIfExistsAsync(plan.Target, cancellationToken: cancellationToken).ConfigureAwait(false);
        while (existing is not null && IsCanceling(existing) && !existing.IsTerminal)
        {
            await Task.Delay(_pollInterval, _time, cancellationToken).ConfigureAwait(false);
            existing = await _client.GetIfExistsAsync(plan.Target, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        if (existing is not null)
        {
            if (IsAlive(existing))
            {
                if (!SameSource(existing, plan.Request))
                {
                    throw new PermanentDatabaseProviderException(
                        plan.Database,
                        $"Another DMS migration ({existing.SourceServerName}/{existing.SourceDatabaseName}, {existing.MigrationStatus}) writes to {plan.Target}: cancel it or choose another target database.");
                }

                if (existing.Offline is { } offline && offline != plan.Request.Offline)
                {
                    throw new PermanentDatabaseProviderException(
                        plan.Database,
                        $"The DMS migration of {plan.Database} to {plan.Target} already runs {(offline ? "offline" : "online")}, but the plan is {(plan.Online ? "online" : "offline")}: cancel it first or keep its mode.");
                }

                DmsLogs.Attached(_logger, plan.Database, plan.Target.ToString(), existing.MigrationStatus, existing.MigrationOperationId);
                return existing;
            }

            DmsLogs.Restarting(_logger, plan.Database, plan.Target.ToString(), existing.ProvisioningState == "Failed" ? "provisioning failed" : existing.MigrationStatus);
            if (plan.Target.Kind == DatabaseMigrationTargetKind.SqlMi && plan.TargetDatabaseExisted == false)
            {
                // The earlier attempt's restore may have left the database behind; a managed instance refuses to restore over it.
                if (await _client.GetTargetDatabaseAsync(plan.Target, cancellationToken).ConfigureAwait(false) is not null)
                {
                    DmsLogs.DeletingLeftover(_logger, plan.Database, plan.Target.TargetDatabaseName);
                    await _client.DeleteManagedDatabaseAsync(plan.Target, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        if (plan.Target.Kind == DatabaseMigrationTargetKind.SqlMi && plan.TargetDatabaseExisted == true)
        {
            throw new PermanentDatabaseProviderException(
                plan.Database,
                $"Database {plan.Target.TargetDatabaseName} already exists on managed instance {plan.Target.TargetName}, and a DMS migration restores into a new database only: drop or rename it, or migrate {plan.Database} under another target name.");
        }

        DatabaseMigrationStatus created;
        try
        {
            created = await _client.CreateOrUpdateAsync(plan.Target, plan.Request, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            // The request cannot be sent as it is (a missing connection, an online Azure SQL Database request): no retry fixes that.
            throw new PermanentDatabaseProviderException(plan.Database, $"The DMS migration of {plan.Database} cannot be started: {e.Message}", e);
        }

        DmsLogs.Started(_logger, plan.Online ? "online" : "offline", plan.Database, plan.Target.ToString(), created.MigrationOperationId);
        return created;
    }

    private async Task<DatabaseMigrationStatus> NextAsync(DatabaseMigrationPlan plan, CancellationToken cancellationToken)
    {
        await Task.Delay(_pollInterval, _time, cancellationToken).ConfigureAwait(false);
        return await _client.GetIfExistsAsync(plan.Target, cancellationToken: cancellationToken).ConfigureAwait(false)
            ?? throw new PermanentDatabaseProviderException(
                plan.Database, $"The DMS migration of {plan.Database} to {plan.Target} disappeared while it ran (deleted by someone else?): run the step again to start over.");
    }

    private void Report(DatabaseMigrationPlan plan, DatabaseMigrationStatus status, IProgress<CopyProgress>? progress)
    {
        if (plan.Target.Kind == DatabaseMigrationTargetKind.SqlDb)
        {
            DmsLogs.TableProgress(
                _logger, plan.Database, status.TablesCopied, status.Tables.Count, status.RowsRead, status.RowsCopied, status.CopyThroughput, status.MigrationStatus);
            if (progress is null)
            {
                return;
            }

            List<DatabaseMigrationTableProgress> ordered = [.. status.Tables.OrderBy(t => InFlight(t) ? 0 : Done(t) ? 1 : 2)];
            string table = ordered.FirstOrDefault(InFlight)?.TableName ?? ordered.LastOrDefault(Done)?.TableName ?? ordered.FirstOrDefault()?.TableName ?? string.Empty;
            long total = Math.Max(plan.ExpectedRows ?? 0, plan.ExpectedRows is null ? 0 : status.RowsCopied);
            progress.Report(new CopyProgress(table, status.RowsCopied, total, status.DataWritten)
            {
                Tables = [.. ordered.Select(t => new TableProgress(t.TableName, t.RowsCopied, t.DataWritten, Done(t)))],
                RowsRead = status.RowsRead,
                // The service reports kilobytes per second.
                BytesPerSecond = status.CopyThroughput * 1024,
            });
            return;
        }

        DmsLogs.RestoreProgress(
            _logger, plan.Database, status.IsFullBackupRestored, status.CurrentRestoringFilename, status.LastRestoredFilename, status.PendingLogBackupsCount, status.MigrationStatus);
        if (!string.IsNullOrEmpty(status.RestoreBlockingReason))
        {
            DmsLogs.RestoreBlocked(_logger, plan.Database, status.RestoreBlockingReason);
        }

        progress?.Report(new CopyProgress(RestoreState(status), 0, 0, status.RestoredBackupBytes));
    }

    private DataCopyResult Result(DatabaseMigrationPlan plan, DatabaseMigrationStatus status)
    {
        if (plan.Target.Kind != DatabaseMigrationTargetKind.SqlDb)
        {
            return new DataCopyResult([], 0, status.RestoredBackupBytes);
        }

        foreach (DatabaseMigrationTableProgress table in status.Tables.Where(t => t.RowsRead != t.RowsCopied))
        {
            DmsLogs.RowsDiffer(_logger, plan.Database, table.TableName, table.RowsRead, table.RowsCopied);
        }

        return new DataCopyResult([.. status.Tables.Select(t => new TableCopyResult(t.TableName, t.RowsCopied))], status.RowsCopied, status.DataWritten);
    }

    private ReplicationStatus Replication(DatabaseMigrationStatus status)
    {
        int pending = status.PendingLogBackupsCount ?? 0;
        bool fullRestored = status.IsFullBackupRestored == true || status.Succeeded || IsCompleting(status);
        long lagBytes = !fullRestored
            ? Math.Max(1, (status.FullBackupSet?.TotalSize ?? 0) + status.PendingLogBackupBytes)
            : pending == 0 ? 0 : Math.Max(status.PendingLogBackupBytes, pending);
        double? lagSeconds = lagBytes == 0
            ? 0
            : status.LastRestoredBackupSet?.BackupFinishDate is { } restoredUpTo
                ? Math.Max(0, (_time.GetUtcNow() - restoredUpTo).TotalSeconds)
                : null;
        return new ReplicationStatus(RestoreState(status), lagBytes, lagSeconds, 0);
    }

    private static string RestoreState(DatabaseMigrationStatus status)
    {
        bool offline = status.Offline == true;
        if (status.Succeeded)
        {
            return offline ? "restored" : "cut over";
        }

        if (IsCompleting(status))
        {
            return "cutting over";
        }

        if (!string.IsNullOrEmpty(status.RestoreBlockingReason))
        {
            return "restore blocked: " + status.RestoreBlockingReason;
        }

        if (status.IsFullBackupRestored != true)
        {
            return status.CurrentRestoringFilename is { } file ? "restoring full backup " + file : "restoring full backup";
        }

        return (status.PendingLogBackupsCount ?? 0) > 0 ? "restoring log backups" : offline ? "completing the restore" : "ready for cutover";
    }

    private static void ThrowIfEnded(DatabaseMigrationPlan plan, DatabaseMigrationStatus status)
    {
        if (status.Failed)
        {
            string code = status.MigrationFailureError?.Code is { Length: > 0 } c ? c : "MigrationFailed";
            string? message = status.MigrationFailureError?.Message;
            IEnumerable<string> more = status.CopyErrors.Take(3)
                .Concat(status.CompleteRestoreErrorMessage is { Length: > 0 } restore ? [restore] : [])
                .Concat(status.FileUploadBlockingErrors.Take(2))
                .Where(m => m != message);
            string extra = string.Join("; ", more);
            throw new DatabaseMigrationFailedException(
                plan.Database,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"The DMS migration of {plan.Database} to {plan.Target} failed ({code}): {message ?? "no error message"}{(extra.Length > 0 ? " [" + extra + "]" : string.Empty)}. Running the step again will not help until the cause is fixed; then a new migration is started."),
                code,
                message);
        }

        if (status.Canceled)
        {
            throw new DatabaseMigrationFailedException(
                plan.Database,
                $"The DMS migration of {plan.Database} to {plan.Target} was canceled outside this run. Run the step again to start a new migration.",
                "MigrationCanceled",
                null);
        }
    }

    private static void RequireOnline(DatabaseMigrationPlan plan)
    {
        if (plan.Target.Kind == DatabaseMigrationTargetKind.SqlDb)
        {
            throw new PermanentDatabaseProviderException(
                plan.Database,
                $"Online migration is not supported for Azure SQL Database targets ({plan.Target}): the Database Migration Service copies them offline only (api-version {DatabaseMigrationServiceClient.ApiVersion}). Migrate {plan.Database} offline, or to a managed instance or SQL VM for online.");
        }

        if (!plan.Online)
        {
            throw new PermanentDatabaseProviderException(
                plan.Database, $"The migration of {plan.Database} to {plan.Target} is offline: run it with CopyAsync; it has no cutover.");
        }
    }

    private static bool IsAlive(DatabaseMigrationStatus status) =>
        !status.Failed && !status.Canceled && !string.Equals(status.ProvisioningState, "Failed", StringComparison.OrdinalIgnoreCase);

    private static bool IsCanceling(DatabaseMigrationStatus status) => string.Equals(status.MigrationStatus, "Canceling", StringComparison.OrdinalIgnoreCase);

    private static bool IsCompleting(DatabaseMigrationStatus status) => string.Equals(status.MigrationStatus, "Completing", StringComparison.OrdinalIgnoreCase);

    private static bool Done(DatabaseMigrationTableProgress table) => string.Equals(table.Status, "Succeeded", StringComparison.OrdinalIgnoreCase);

    private static bool InFlight(DatabaseMigrationTableProgress table) =>
        !Done(table) && !string.Equals(table.Status, "Queued", StringComparison.OrdinalIgnoreCase) && (table.RowsRead > 0 || table.RowsCopied > 0 || table.Status is not null);

    /// <summary>
    /// Whether <paramref name="status"/> migrates the plan's source: the same source database, and the same source server as far as the
    /// names can be compared (the service reports the server's own name, the request names a host, maybe with a port or an instance), so
    /// only the first label of each is compared.
    /// </summary>
    /// <summary>Tells whether <paramref name="status"/> is a migration of <paramref name="request"/>'s source: the same database on the same server (first DNS labels compared, as the service may report another form of the name).</summary>
    internal static bool SameSource(DatabaseMigrationStatus status, DatabaseMigrationRequest request)
    {
        if (!string.Equals(status.SourceDatabaseName, request.SourceDatabaseName, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return status.SourceServerName is null || string.Equals(HostLabel(status.SourceServerName), HostLabel(request.SourceSqlConnection.DataSource), StringComparison.OrdinalIgnoreCase);

        static string HostLabel(string dataSource)
        {
            string host = dataSource.Trim();
            if (host.StartsWith("tcp:", StringComparison.OrdinalIgnoreCase))
            {
                host = host[4..];
            }

            int end = host.IndexOfAny([',', '\\', '.', ':']);
            return end < 0 ? host : host[..end];
        }
    }

    private static bool IsServiceFailure(Exception e) => e is RequestFailedException or HttpRequestException;

    private DatabaseProviderException Translate(DatabaseMigrationPlan plan, string step, Exception e)
    {
        if (e is ArmRequestException arm)
        {
            if (arm.IsRetriable)
            {
                DmsLogs.TransientFailure(_logger, plan.Database, step, arm.Message);
                return new DatabaseProviderException(plan.Database, $"Resource Manager trouble ({step}, DMS migration of {plan.Database}); retrying can help: {arm.Message}", arm);
            }

            return new PermanentDatabaseProviderException(plan.Database, $"Resource Manager refused a call ({step}, DMS migration of {plan.Database}): {arm.Message}", arm);
        }

        int status = e is RequestFailedException failed ? failed.Status : 0;
        if (status == 0 || ArmRequestException.IsRetriableStatus(status, (e as RequestFailedException)?.ErrorCode))
        {
            DmsLogs.TransientFailure(_logger, plan.Database, step, e.GetType().Name);
            return new DatabaseProviderException(plan.Database, $"Resource Manager could not be reached ({step}, DMS migration of {plan.Database}: {e.GetType().Name}); retrying can help.", e);
        }

        return new PermanentDatabaseProviderException(
            plan.Database, string.Create(CultureInfo.InvariantCulture, $"Resource Manager answered {status} ({step}, DMS migration of {plan.Database})."), e);
    }
}
