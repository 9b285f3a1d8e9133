namespace DurableMigration.Providers.Dms;

/// <summary>
/// One database's Database Migration Service migration as <see cref="DatabaseMigrationRunner"/> runs it: where it goes, the create
/// request, and what the runner learned before it first started (<see cref="TargetDatabaseExisted"/>), which compensation needs.
/// </summary>
/// <remarks>
/// Keep the plan <see cref="DatabaseMigrationRunner.PrepareAsync"/> returns (an activity's output is recorded by the orchestration) and pass
/// it to every later call: it is how <see cref="DatabaseMigrationRunner.CancelAndRemoveAsync"/> knows whether a managed instance's database
/// is the migration's to delete. <see cref="ToString"/> never shows a secret (the request's own <c>ToString</c> leaves them out).
/// </remarks>
/// <param name="Database">The database's name in the wave, for messages and logs.</param>
/// <param name="Target">The target database (the migration resource's name and parent).</param>
/// <param name="Request">The create request: source, target connection or backups, tables, online or offline (<see cref="DatabaseMigrationRequest.Offline"/>).</param>
public sealed record DatabaseMigrationPlan(string Database, DatabaseMigrationTarget Target, DatabaseMigrationRequest Request)
{
    /// <summary>Gets whether the migration is online: restored backups keep being followed by log backups until a cutover (managed instance and VM only).</summary>
    public bool Online => !Request.Offline;

    /// <summary>
    /// Gets whether the target database existed before this migration first started: <see langword="false"/> means the migration created
    /// it (a managed instance's restore does), so compensation may delete it; <see langword="true"/> means it was there before and is never
    /// deleted; <see langword="null"/> means unknown (not prepared, or a SQL VM, whose databases are no Resource Manager resources), and then
    /// nothing is deleted either.
    /// </summary>
    public bool? TargetDatabaseExisted { get; init; }

    /// <summary>Gets the rows the copy should move, all tables, when the SQL side counted them; reported as <see cref="DurableMigration.Providers.CopyProgress.RowsTotal"/> (the service reports no table sizes).</summary>
    public long? ExpectedRows { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Database} to {Target} ({(Online ? "online" : "offline")}, target database existed before: {TargetDatabaseExisted?.ToString() ?? "unknown"})";
}

/// <summary>What <see cref="DatabaseMigrationRunner.CancelAndRemoveAsync"/> did.</summary>
/// <param name="MigrationCanceled">Whether a migration in progress was canceled (an already finished one is left as it is).</param>
/// <param name="MigrationDeleted">Whether the migration resource was deleted (Azure SQL Database only: the managed instance and VM routes have no delete).</param>
/// <param name="TargetDatabaseDeleted">Whether the target database was deleted (managed instance only, and only when the migration created it).</param>
/// <param name="Summary">One line for an operator: what was done and what was left, and why.</param>
public sealed record DatabaseMigrationCompensation(bool MigrationCanceled, bool MigrationDeleted, bool TargetDatabaseDeleted, string Summary);

/// <summary>Options of <see cref="DatabaseMigrationRunner"/>.</summary>
public sealed class DatabaseMigrationRunnerOptions
{
    /// <summary>Gets or sets how long to wait between two reads of a migration's status; 30 seconds unless set.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the clock for waits, elapsed times and lag; the system's unless set.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
