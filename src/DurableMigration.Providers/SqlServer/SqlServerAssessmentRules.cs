using DurableMigration.Providers.Dms;

namespace DurableMigration.Providers.SqlServer;

/// <summary>The stable rule ids of the SQL Server assessment (<see cref="SqlServerAssessment"/>) and their severity per target kind.</summary>
/// <remarks>The table of rules, severities and fixes is in <c>docs/sqlserver.md</c>; <see cref="SeverityOf"/> is its source of truth.</remarks>
public static class SqlServerAssessmentRules
{
    /// <summary>Information: the source's version and edition. Blocking: the source is older than SQL Server 2016 (13.x), or is itself an Azure SQL Database or Managed Instance.</summary>
    public const string Version = "sqlserver.version";

    /// <summary>Information: size and table count. Warning at 90% of the target's size limit, blocking over it.</summary>
    public const string Size = "sqlserver.size";

    /// <summary>Blocking: the database's compatibility level is below the lowest the target supports.</summary>
    public const string CompatibilityLevel = "sqlserver.compatibility-level";

    /// <summary>Blocking: the table filter includes a table the source does not have; a warning when it only excludes one.</summary>
    public const string UnknownTable = "sqlserver.unknown-table";

    /// <summary>Information: a table without a primary key (validation cannot narrow its differences to a key range).</summary>
    public const string NoPrimaryKey = "sqlserver.no-primary-key";

    /// <summary>Modules referencing another database: blocking for SQL Database, warning for Managed Instance, information for a VM.</summary>
    public const string CrossDatabaseReference = "sqlserver.cross-database-reference";

    /// <summary>User CLR assemblies: blocking for SQL Database, warning for Managed Instance, information for a VM.</summary>
    public const string ClrAssembly = "sqlserver.clr-assembly";

    /// <summary>SQL Agent jobs that use the database: warning for SQL Database (information when disabled); information otherwise.</summary>
    public const string AgentJob = "sqlserver.agent-job";

    /// <summary>Linked servers: warning for SQL Database, information otherwise.</summary>
    public const string LinkedServer = "sqlserver.linked-server";

    /// <summary>Database Mail: modules calling it are a warning for SQL Database; profiles are information.</summary>
    public const string DatabaseMail = "sqlserver.database-mail";

    /// <summary>FILESTREAM and FileTable: blocking for SQL Database and Managed Instance, information for a VM.</summary>
    public const string Filestream = "sqlserver.filestream";

    /// <summary>Service Broker queues or services: blocking for SQL Database, warning for Managed Instance, information for a VM; merely enabled: information.</summary>
    public const string ServiceBroker = "sqlserver.service-broker";

    /// <summary>Server-scoped triggers: warning for SQL Database, information otherwise.</summary>
    public const string ServerTrigger = "sqlserver.server-trigger";

    /// <summary>Global trace flags: warning for SQL Database and Managed Instance, information for a VM.</summary>
    public const string TraceFlag = "sqlserver.trace-flag";

    /// <summary>Deprecated (<c>text</c>, <c>ntext</c>, <c>image</c>) and CLR user-defined data types.</summary>
    public const string UnsupportedDataType = "sqlserver.unsupported-data-type";

    /// <summary>Memory-optimized tables, <c>xp_cmdshell</c>, <c>OPENROWSET</c>, <c>OPENDATASOURCE</c>, <c>BULK INSERT</c>, distributed transactions, external scripts, Windows principals.</summary>
    public const string UnsupportedFeature = "sqlserver.unsupported-feature";

    /// <summary>Warning: the login is not a sysadmin and lacks <c>VIEW SERVER STATE</c> or <c>VIEW ANY DEFINITION</c>, so catalog views may hide objects from the rules.</summary>
    public const string Permissions = "sqlserver.permissions";

    /// <summary>Warning: a rule's catalog query could not run (the login may not read <c>msdb</c> or a server view); the rule was not checked.</summary>
    public const string RuleNotChecked = "sqlserver.rule-not-checked";

    private static readonly Dictionary<string, (FindingSeverity SqlDb, FindingSeverity SqlMi, FindingSeverity SqlVm)> Severities = new(StringComparer.Ordinal)
    {
        [CrossDatabaseReference] = (FindingSeverity.Blocking, FindingSeverity.Warning, FindingSeverity.Information),
        [ClrAssembly] = (FindingSeverity.Blocking, FindingSeverity.Warning, FindingSeverity.Information),
        [AgentJob + ":enabled"] = (FindingSeverity.Warning, FindingSeverity.Information, FindingSeverity.Information),
        [AgentJob + ":disabled"] = (FindingSeverity.Information, FindingSeverity.Information, FindingSeverity.Information),
        [LinkedServer] = (FindingSeverity.Warning, FindingSeverity.Information, FindingSeverity.Information),
        [DatabaseMail + ":module"] = (FindingSeverity.Warning, FindingSeverity.Information, FindingSeverity.Information),
        [DatabaseMail + ":profile"] = (FindingSeverity.Information, FindingSeverity.Information, FindingSeverity.Information),
        [Filestream] = (FindingSeverity.Blocking, FindingSeverity.Blocking, FindingSeverity.Information),
        [ServiceBroker + ":in-use"] = (FindingSeverity.Blocking, FindingSeverity.Warning, FindingSeverity.Information),
        [ServiceBroker + ":enabled"] = (FindingSeverity.Information, FindingSeverity.Information, FindingSeverity.Information),
        [ServerTrigger] = (FindingSeverity.Warning, FindingSeverity.Information, FindingSeverity.Information),
        [TraceFlag] = (FindingSeverity.Warning, FindingSeverity.Warning, FindingSeverity.Information),
        [UnsupportedDataType + ":deprecated-type"] = (FindingSeverity.Warning, FindingSeverity.Warning, FindingSeverity.Information),
        [UnsupportedDataType + ":clr-type"] = (FindingSeverity.Blocking, FindingSeverity.Warning, FindingSeverity.Information),
        [UnsupportedFeature + ":memory-optimized"] = (FindingSeverity.Warning, FindingSeverity.Warning, FindingSeverity.Information),
        [UnsupportedFeature + ":xp_cmdshell"] = (FindingSeverity.Blocking, FindingSeverity.Blocking, FindingSeverity.Information),
        [UnsupportedFeature + ":openrowset"] = (FindingSeverity.Warning, FindingSeverity.Warning, FindingSeverity.Information),
        [UnsupportedFeature + ":opendatasource"] = (FindingSeverity.Warning, FindingSeverity.Warning, FindingSeverity.Information),
        [UnsupportedFeature + ":bulk-insert"] = (FindingSeverity.Warning, FindingSeverity.Warning, FindingSeverity.Information),
        [UnsupportedFeature + ":distributed-transaction"] = (FindingSeverity.Warning, FindingSeverity.Warning, FindingSeverity.Information),
        [UnsupportedFeature + ":external-script"] = (FindingSeverity.Blocking, FindingSeverity.Information, FindingSeverity.Information),
        [UnsupportedFeature + ":windows-principal"] = (FindingSeverity.Warning, FindingSeverity.Warning, FindingSeverity.Information),
    };

    /// <summary>Gets the severity of a catalog rule's finding for a target kind.</summary>
    /// <param name="rule">One of the rule ids above that a catalog query detects.</param>
    /// <param name="target">The kind of target.</param>
    /// <param name="variant">What the rule found, where severities differ by it: <c>enabled</c>/<c>disabled</c> (Agent jobs), <c>module</c>/<c>profile</c> (Database Mail), <c>in-use</c>/<c>enabled</c> (Service Broker), the data type kind or feature.</param>
    /// <returns>The severity.</returns>
    /// <exception cref="ArgumentException">The rule (with that variant) is not a catalog rule.</exception>
    public static FindingSeverity SeverityOf(string rule, DatabaseMigrationTargetKind target, string? variant = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rule);
        string key = variant is null ? rule : rule + ":" + variant;
        if (!Severities.TryGetValue(key, out var severities))
        {
            throw new ArgumentException($"No severity is defined for rule '{key}'.", nameof(rule));
        }

        return target switch
        {
            DatabaseMigrationTargetKind.SqlDb => severities.SqlDb,
            DatabaseMigrationTargetKind.SqlMi => severities.SqlMi,
            DatabaseMigrationTargetKind.SqlVm => severities.SqlVm,
            _ => throw new ArgumentOutOfRangeException(nameof(target), target, "Unknown target kind."),
        };
    }
}
