namespace DurableMigration.Providers.SqlServer;

/// <summary>Options of <see cref="SqlServerDatabaseProvider"/>.</summary>
public sealed class SqlServerProviderOptions
{
    /// <summary>Gets or sets the assessment's limits (target sizes, compatibility levels, source versions); defaults unless set.</summary>
    public SqlServerAssessmentOptions Assessment { get; set; } = new();

    /// <summary>Gets or sets the validation's bucket sizes; defaults unless set.</summary>
    public SqlServerValidationOptions Validation { get; set; } = new();

    /// <summary>Gets or sets the statement timeout and transient-error retries of the SqlClient runners; defaults unless set.</summary>
    public SqlServerQueryRunnerOptions Runner { get; set; } = new();

    /// <summary>
    /// Gets or sets how the provider reaches a SQL Server: given a resolved connection string and the wave's database name, a runner of
    /// named statements. <see cref="SqlServerQueryRunner"/> on Microsoft.Data.SqlClient unless set; tests that have no SQL Server replay
    /// recorded result sets instead.
    /// </summary>
    public Func<string, string, ISqlServerQueryRunner>? ConnectTo { get; set; }

    /// <summary>Gets or sets the clock for the write-blocked window's length; the system's unless set.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
