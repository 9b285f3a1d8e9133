namespace DurableMigration.Monitoring;

/// <summary>
/// One migration record, as a row of the Log Analytics custom table <c>MigrationRecords_CL</c>: a step, a progress sample, an alert or a
/// compensation of one wave (and database). Property names are the table's column names (PascalCase, <c>TimeGenerated</c> first).
/// </summary>
/// <param name="TimeGenerated">When the event happened (the table's <c>TimeGenerated</c> column).</param>
/// <param name="Wave">The wave's identifier.</param>
/// <param name="Kind">What the record is: <c>step</c>, <c>progress</c>, <c>alert</c>, <c>compensation</c> or <c>wave</c> (see <see cref="MigrationRecordKinds"/>).</param>
public sealed record MigrationRecord(DateTimeOffset TimeGenerated, string Wave, string Kind)
{
    /// <summary>Gets the database the record is about; <see langword="null"/> for wave-wide records.</summary>
    public string? Database { get; init; }

    /// <summary>Gets the step's name (<c>copy</c>, <c>validate</c>, <c>cutover</c>, ...).</summary>
    public string? Step { get; init; }

    /// <summary>Gets the status (<c>Started</c>, <c>Succeeded</c>, <c>Failed</c>, ...).</summary>
    public string? Status { get; init; }

    /// <summary>Gets how long the step took, in milliseconds.</summary>
    public long? DurationMs { get; init; }

    /// <summary>Gets the rows copied or validated.</summary>
    public long? Rows { get; init; }

    /// <summary>Gets the bytes copied.</summary>
    public long? Bytes { get; init; }

    /// <summary>Gets the replication lag, in seconds (online migrations).</summary>
    public double? LagSeconds { get; init; }

    /// <summary>Gets the change ticket the wave runs under.</summary>
    public string? Ticket { get; init; }

    /// <summary>Gets the error message of a failure (never a secret: callers pass messages already free of connection strings).</summary>
    public string? Error { get; init; }
}

/// <summary>The values of <see cref="MigrationRecord.Kind"/>.</summary>
public static class MigrationRecordKinds
{
    /// <summary>A step started, succeeded or failed.</summary>
    public const string Step = "step";

    /// <summary>A progress sample (rows, bytes, lag).</summary>
    public const string Progress = "progress";

    /// <summary>An alert raised by the migration (lag over threshold, validation mismatch, ...).</summary>
    public const string Alert = "alert";

    /// <summary>A compensation (rollback) step.</summary>
    public const string Compensation = "compensation";

    /// <summary>A wave (or a wave's rollback) started or finished: <see cref="MigrationRecord.Database"/> is empty, the status is the outcome.</summary>
    public const string Wave = "wave";
}
