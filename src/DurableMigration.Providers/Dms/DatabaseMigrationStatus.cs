namespace DurableMigration.Providers.Dms;

/// <summary>A database migration as the Database Migration Service reports it (<c>GET ...?$expand=MigrationStatusDetails</c>).</summary>
/// <remarks>
/// <see cref="MigrationStatus"/> is an open string in the service's contract: <c>InProgress</c>, <c>ReadyForCutover</c>, <c>Completing</c>,
/// <c>Succeeded</c>, <c>Failed</c>, <c>Canceling</c>, <c>Canceled</c>, <c>Retriable</c> and others; compare with the helpers, not by hand.
/// </remarks>
public sealed record DatabaseMigrationStatus
{
    /// <summary>Gets the migration resource's id.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the migration resource's name (the target database's name).</summary>
    public required string Name { get; init; }

    /// <summary>Gets the target kind (<c>kind</c>): <c>SqlDb</c>, <c>SqlMi</c> or <c>SqlVm</c>.</summary>
    public string? Kind { get; init; }

    /// <summary>Gets the target resource id (<c>scope</c>).</summary>
    public string? Scope { get; init; }

    /// <summary>Gets the resource's provisioning state (<c>provisioningState</c>): <c>Creating</c>, <c>Succeeded</c>, <c>Failed</c>, ...</summary>
    public string? ProvisioningState { get; init; }

    /// <summary>Gets the provisioning error, when provisioning failed (<c>provisioningError</c>).</summary>
    public string? ProvisioningError { get; init; }

    /// <summary>Gets the migration's state (<c>migrationStatus</c>).</summary>
    public string? MigrationStatus { get; init; }

    /// <summary>Gets the id of the current migration operation (<c>migrationOperationId</c>): cutover and cancel name it.</summary>
    public string? MigrationOperationId { get; init; }

    /// <summary>Gets when the migration started (<c>startedOn</c>).</summary>
    public DateTimeOffset? StartedOn { get; init; }

    /// <summary>Gets when the migration ended (<c>endedOn</c>).</summary>
    public DateTimeOffset? EndedOn { get; init; }

    /// <summary>Gets the source server's name (<c>sourceServerName</c>).</summary>
    public string? SourceServerName { get; init; }

    /// <summary>Gets the source database's name (<c>sourceDatabaseName</c>).</summary>
    public string? SourceDatabaseName { get; init; }

    /// <summary>Gets why the migration failed (<c>migrationFailureError</c>), when it did.</summary>
    public ArmErrorDetail? MigrationFailureError { get; init; }

    /// <summary>Gets the detailed state (<c>migrationStatusDetails.migrationState</c>), when the details were expanded.</summary>
    public string? MigrationState { get; init; }

    /// <summary>Gets the per-table copy progress of an Azure SQL Database migration (<c>listOfCopyProgressDetails</c>).</summary>
    public IReadOnlyList<DatabaseMigrationTableProgress> Tables { get; init; } = [];

    /// <summary>Gets the data copy errors of an Azure SQL Database migration (<c>sqlDataCopyErrors</c>), empty ones left out.</summary>
    public IReadOnlyList<string> CopyErrors { get; init; } = [];

    /// <summary>Gets whether the full backup is restored (managed instance and VM, <c>isFullBackupRestored</c>).</summary>
    public bool? IsFullBackupRestored { get; init; }

    /// <summary>Gets why restoring is blocked (managed instance and VM, <c>restoreBlockingReason</c>).</summary>
    public string? RestoreBlockingReason { get; init; }

    /// <summary>Gets how many log backups wait to be restored (managed instance and VM, <c>pendingLogBackupsCount</c>).</summary>
    public int? PendingLogBackupsCount { get; init; }

    /// <summary>Gets the backup file restored last (managed instance and VM, <c>lastRestoredFilename</c>).</summary>
    public string? LastRestoredFilename { get; init; }

    /// <summary>Gets the backup file being restored (managed instance and VM, <c>currentRestoringFilename</c>).</summary>
    public string? CurrentRestoringFilename { get; init; }

    /// <summary>Gets the error of the final restore, when it failed (managed instance and VM, <c>completeRestoreErrorMessage</c>).</summary>
    public string? CompleteRestoreErrorMessage { get; init; }

    /// <summary>Gets whether the migration is offline (<c>offlineConfiguration.offline</c>; Azure SQL Database migrations always are), when reported.</summary>
    public bool? Offline { get; init; }

    /// <summary>Gets the blob container the backups are read from (managed instance and VM, <c>blobContainerName</c>).</summary>
    public string? BlobContainerName { get; init; }

    /// <summary>Gets the full backup set being (or already) restored (managed instance and VM, <c>fullBackupSetInfo</c>).</summary>
    public DatabaseMigrationBackupSet? FullBackupSet { get; init; }

    /// <summary>Gets the backup set restored last (managed instance and VM, <c>lastRestoredBackupSetInfo</c>).</summary>
    public DatabaseMigrationBackupSet? LastRestoredBackupSet { get; init; }

    /// <summary>Gets the backup sets the service works on: restored and still to restore (managed instance and VM, <c>activeBackupSets</c>).</summary>
    public IReadOnlyList<DatabaseMigrationBackupSet> ActiveBackupSets { get; init; } = [];

    /// <summary>Gets the files in the backup location the service cannot use (managed instance and VM, <c>invalidFiles</c>).</summary>
    public IReadOnlyList<string> InvalidFiles { get; init; } = [];

    /// <summary>Gets the errors that stop backups from being uploaded (managed instance and VM, <c>fileUploadBlockingErrors</c>).</summary>
    public IReadOnlyList<string> FileUploadBlockingErrors { get; init; } = [];

    /// <summary>Gets the size of the backup files restored so far, bytes: those of <see cref="ActiveBackupSets"/> (with <see cref="FullBackupSet"/>) marked restored.</summary>
    public long RestoredBackupBytes => BackupSets().Where(s => s.IsBackupRestored == true).Sum(s => s.TotalSize);

    /// <summary>Gets the size of the log backup files seen but not restored yet, bytes (0 when the service lists none).</summary>
    public long PendingLogBackupBytes =>
        BackupSets().Where(s => s.IsBackupRestored != true && !s.IsFullBackup).Sum(s => s.TotalSize);

    /// <summary>Gets the number of tables whose copy succeeded.</summary>
    public int TablesCopied => Tables.Count(t => string.Equals(t.Status, "Succeeded", StringComparison.OrdinalIgnoreCase));

    /// <summary>Gets the rows read from the source, over all tables.</summary>
    public long RowsRead => Tables.Sum(t => t.RowsRead);

    /// <summary>Gets the rows written to the target, over all tables.</summary>
    public long RowsCopied => Tables.Sum(t => t.RowsCopied);

    /// <summary>Gets the data read from the source, over all tables (the service's unit, bytes).</summary>
    public long DataRead => Tables.Sum(t => t.DataRead);

    /// <summary>Gets the data written to the target, over all tables (bytes).</summary>
    public long DataWritten => Tables.Sum(t => t.DataWritten);

    /// <summary>Gets the copy throughput of the tables still copying, in KB/s (the service's <c>copyThroughput</c>).</summary>
    public double CopyThroughput =>
        Tables.Where(t => !string.Equals(t.Status, "Succeeded", StringComparison.OrdinalIgnoreCase)).Sum(t => t.CopyThroughput);

    /// <summary>Gets whether the migration ended: succeeded, failed or canceled.</summary>
    public bool IsTerminal => Is("Succeeded") || Is("Failed") || Is("Canceled");

    /// <summary>Gets whether the migration succeeded.</summary>
    public bool Succeeded => Is("Succeeded");

    /// <summary>Gets whether the migration failed.</summary>
    public bool Failed => Is("Failed");

    /// <summary>Gets whether the migration was canceled.</summary>
    public bool Canceled => Is("Canceled");

    /// <summary>
    /// Gets whether an online migration may be cut over now, as Azure Data Studio gates it: an operation id is known, the status is
    /// <c>ReadyForCutover</c> (or <c>InProgress</c> with the full backup restored), and nothing blocks the restore.
    /// </summary>
    public bool IsReadyForCutover =>
        !string.IsNullOrEmpty(MigrationOperationId)
        && (Is("ReadyForCutover") || (Is("InProgress") && IsFullBackupRestored == true))
        && string.IsNullOrEmpty(RestoreBlockingReason);

    private bool Is(string status) => string.Equals(MigrationStatus, status, StringComparison.OrdinalIgnoreCase);

    private IEnumerable<DatabaseMigrationBackupSet> BackupSets()
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (DatabaseMigrationBackupSet set in (FullBackupSet is null ? ActiveBackupSets : ActiveBackupSets.Prepend(FullBackupSet)))
        {
            if (set.BackupSetId is null || seen.Add(set.BackupSetId))
            {
                yield return set;
            }
        }
    }
}

/// <summary>One backup set of a managed instance or VM migration (the spec's <c>SqlBackupSetInfo</c>).</summary>
public sealed record DatabaseMigrationBackupSet
{
    /// <summary>Gets the backup set's id (<c>backupSetId</c>).</summary>
    public string? BackupSetId { get; init; }

    /// <summary>Gets the backup's type (<c>backupType</c>): <c>Database</c> for a full backup, <c>TransactionLog</c>, <c>DifferentialDatabase</c>, ...</summary>
    public string? BackupType { get; init; }

    /// <summary>Gets the first log sequence number (<c>firstLSN</c>).</summary>
    public string? FirstLsn { get; init; }

    /// <summary>Gets the last log sequence number (<c>lastLSN</c>).</summary>
    public string? LastLsn { get; init; }

    /// <summary>Gets when the backup started (<c>backupStartDate</c>).</summary>
    public DateTimeOffset? BackupStartDate { get; init; }

    /// <summary>Gets when the backup finished (<c>backupFinishDate</c>): the source's state the target holds once this set is restored.</summary>
    public DateTimeOffset? BackupFinishDate { get; init; }

    /// <summary>Gets whether the set is restored (<c>isBackupRestored</c>), when reported.</summary>
    public bool? IsBackupRestored { get; init; }

    /// <summary>Gets the set's files (<c>listOfBackupFiles</c>).</summary>
    public IReadOnlyList<DatabaseMigrationBackupFile> Files { get; init; } = [];

    /// <summary>Gets the set's size, bytes: its files' <c>totalSize</c>.</summary>
    public long TotalSize => Files.Sum(f => f.TotalSize);

    /// <summary>Gets whether this is a full database backup.</summary>
    public bool IsFullBackup => string.Equals(BackupType, "Database", StringComparison.OrdinalIgnoreCase);
}

/// <summary>One file of a backup set (the spec's <c>SqlBackupFileInfo</c>).</summary>
/// <param name="FileName">The file's name (<c>fileName</c>).</param>
/// <param name="Status">Its status (<c>status</c>): <c>Arrived</c>, <c>Uploading</c>, <c>Uploaded</c>, <c>Restoring</c>, <c>Restored</c>, ...</param>
/// <param name="TotalSize">Its size, bytes (<c>totalSize</c>).</param>
/// <param name="DataRead">Bytes read from it (<c>dataRead</c>).</param>
/// <param name="DataWritten">Bytes written from it (<c>dataWritten</c>).</param>
/// <param name="CopyThroughput">Its copy throughput, KB/s (<c>copyThroughput</c>).</param>
public sealed record DatabaseMigrationBackupFile(string FileName, string? Status, long TotalSize, long DataRead, long DataWritten, double CopyThroughput);

/// <summary>The copy progress of one table in an Azure SQL Database migration (the spec's <c>CopyProgressDetails</c>).</summary>
public sealed record DatabaseMigrationTableProgress
{
    /// <summary>Gets the table's name (<c>tableName</c>).</summary>
    public required string TableName { get; init; }

    /// <summary>Gets the table's copy status (<c>status</c>): <c>Queued</c>, <c>InProgress</c>, <c>Succeeded</c>, ...</summary>
    public string? Status { get; init; }

    /// <summary>Gets the rows read (<c>rowsRead</c>).</summary>
    public long RowsRead { get; init; }

    /// <summary>Gets the rows copied (<c>rowsCopied</c>).</summary>
    public long RowsCopied { get; init; }

    /// <summary>Gets the data read, bytes (<c>dataRead</c>).</summary>
    public long DataRead { get; init; }

    /// <summary>Gets the data written, bytes (<c>dataWritten</c>).</summary>
    public long DataWritten { get; init; }

    /// <summary>Gets the copy throughput, KB/s (<c>copyThroughput</c>).</summary>
    public double CopyThroughput { get; init; }

    /// <summary>Gets the copy's duration, seconds (<c>copyDuration</c>).</summary>
    public long CopyDuration { get; init; }

    /// <summary>Gets when the copy started (<c>copyStart</c>).</summary>
    public DateTimeOffset? CopyStart { get; init; }

    /// <summary>Gets the parallel copy type (<c>parallelCopyType</c>).</summary>
    public string? ParallelCopyType { get; init; }

    /// <summary>Gets the parallel copies used (<c>usedParallelCopies</c>).</summary>
    public int UsedParallelCopies { get; init; }
}
