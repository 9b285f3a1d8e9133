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
}

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
