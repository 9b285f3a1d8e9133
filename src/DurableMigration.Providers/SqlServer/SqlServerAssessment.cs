using System.Globalization;
using DurableMigration.Manifest;
using DurableMigration.Providers.Dms;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableMigration.Providers.SqlServer;

/// <summary>
/// Assesses a SQL Server source database for a move to Azure SQL Database, Managed Instance or SQL Server on an Azure VM:
/// version and edition, size against the target's limit, compatibility level, and one catalog query per rule
/// (<see cref="SqlServerAssessmentRules"/>), each finding with its severity for the target kind, the object and a fix.
/// </summary>
/// <remarks>
/// Reads only. Connection failures (login failed, database missing, server not reachable) are thrown as the runner
/// translates them (<see cref="PermanentDatabaseProviderException"/> or retriable <see cref="DatabaseProviderException"/>);
/// a rule whose query the login may not run (msdb, a server view) becomes a <see cref="SqlServerAssessmentRules.RuleNotChecked"/>
/// warning instead of failing the assessment.
/// </remarks>
public sealed class SqlServerAssessment
{
    private readonly SqlServerAssessmentOptions _options;
    private readonly ILogger _logger;

    /// <summary>Initializes the assessment.</summary>
    /// <param name="options">Limits; defaults when <c>null</c>.</param>
    /// <param name="logger">The log; none when <c>null</c>.</param>
    public SqlServerAssessment(SqlServerAssessmentOptions? options = null, ILogger<SqlServerAssessment>? logger = null)
    {
        _options = options ?? new SqlServerAssessmentOptions();
        _logger = logger ?? NullLogger<SqlServerAssessment>.Instance;
    }

    /// <summary>Assesses the database <paramref name="source"/> is connected to.</summary>
    /// <param name="source">Runs the catalog queries in the source database (its connection opens that database).</param>
    /// <param name="target">The kind of target.</param>
    /// <param name="tables">Which tables move; all when <c>null</c>. Names are <c>schema.table</c> (<c>dbo</c> when the schema is left out).</param>
    /// <param name="cancellationToken">Cancels the assessment.</param>
    /// <returns>The report, named after <see cref="ISqlServerQueryRunner.Database"/>.</returns>
    public async Task<AssessmentReport> AssessAsync(ISqlServerQueryRunner source, DatabaseMigrationTargetKind target, TableFilter? tables = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!Enum.IsDefined(target))
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, "Unknown target kind.");
        }

        string database = source.Database;
        var findings = new List<AssessmentFinding>();
        var server = (await source.QueryAsync(SqlServerQueries.ServerProperties, null, cancellationToken).ConfigureAwait(false)).SingleOrDefault()
            ?? throw new PermanentDatabaseProviderException(database, $"Database '{database}': the server returned no properties for the current database; check that the connection opens the source database.");
        string productVersion = server.GetString("product_version") ?? "unknown";
        string edition = server.GetString("edition") ?? "unknown edition";
        string engineVersion = $"SQL Server {productVersion} ({edition})";
        int major = int.TryParse(productVersion.Split('.')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int m) ? m : 0;
        int engineEdition = server.GetInt32("engine_edition");

        if (engineEdition is 5 or 8)
        {
            findings.Add(new(SqlServerAssessmentRules.Version, FindingSeverity.Blocking,
                $"The source is an Azure SQL {(engineEdition == 5 ? "Database" : "Managed Instance")} ({engineVersion}); the Database Migration Service moves SQL Server databases only. Use a copy or export of the database instead."));
            return Finish(database, engineVersion, 0, 0, findings, target);
        }

        if (major < _options.MinimumSourceMajorVersion)
        {
            findings.Add(new(SqlServerAssessmentRules.Version, FindingSeverity.Blocking,
                $"The source runs {engineVersion}; assessment and validation need SQL Server major version {_options.MinimumSourceMajorVersion} (2016) or later. Upgrade the source first, or assess it with Azure Migrate."));
            return Finish(database, engineVersion, 0, 0, findings, target);
        }

        findings.Add(new(SqlServerAssessmentRules.Version, FindingSeverity.Information, $"The source runs {engineVersion}."));

        var permissions = (await source.QueryAsync(SqlServerQueries.ServerPermissions, null, cancellationToken).ConfigureAwait(false)).Single();
        var lacking = new[] { ("VIEW SERVER STATE", "view_server_state"), ("VIEW ANY DEFINITION", "view_any_definition") }
            .Where(p => !permissions.GetBoolean(p.Item2))
            .Select(p => p.Item1)
            .ToList();
        if (!permissions.GetBoolean("is_sysadmin") && lacking.Count > 0)
        {
            findings.Add(new(SqlServerAssessmentRules.Permissions, FindingSeverity.Warning,
                $"The assessment's login lacks {string.Join(" and ", lacking)}: catalog views show it only what it may see, so server-level rules (linked servers, server triggers, other modules) may miss objects without an error. Grant {string.Join(" and ", lacking)} to the login, or assess as a sysadmin."));
        }

        var size = (await source.QueryAsync(SqlServerQueries.DatabaseSize, null, cancellationToken).ConfigureAwait(false)).Single();
        long usedBytes = size.GetInt64("data_used_bytes");
        var allTables = await source.QueryAsync(SqlServerQueries.Tables, null, cancellationToken).ConfigureAwait(false);
        var filter = Normalize(tables);
        var moving = allTables.Where(t => Includes(filter, Display(t))).ToList();

        AddSize(findings, target, usedBytes, size.GetInt64("data_allocated_bytes"), moving.Count);
        AddCompatibilityLevel(findings, target, server.GetInt32("compatibility_level"));
        AddUnknownTables(findings, filter, allTables);
        foreach (var table in moving.Where(t => !t.GetBoolean("has_primary_key")))
        {
            findings.Add(new(SqlServerAssessmentRules.NoPrimaryKey, FindingSeverity.Information,
                $"Table {Display(table)} has no primary key: validation compares its count and checksum but cannot name the differing rows. Add a primary key if you can.",
                Display(table)));
        }

        var excluded = new HashSet<string>(allTables.Select(Display).Where(t => !Includes(filter, t)), StringComparer.OrdinalIgnoreCase);
        await RunRuleAsync(source, SqlServerAssessmentRules.CrossDatabaseReference, SqlServerQueries.CrossDatabaseReferences, findings, rows => rows.Select(r =>
        {
            string name = r.GetString("object_name") ?? "?";
            string other = r.GetString("referenced_database_name") ?? "?";
            string? linked = r.GetString("referenced_server_name");
            string where = linked is null ? $"database '{other}'" : $"database '{other}' on linked server '{linked}'";
            string fix = target switch
            {
                DatabaseMigrationTargetKind.SqlDb => "Azure SQL Database cannot query another database by name: move those objects into this database, or use elastic query.",
                DatabaseMigrationTargetKind.SqlMi => "Managed Instance resolves it only when that database moves to the same instance: migrate them together.",
                _ => "Migrate that database to the same SQL Server instance, or change the reference.",
            };
            return new AssessmentFinding(SqlServerAssessmentRules.CrossDatabaseReference, SqlServerAssessmentRules.SeverityOf(SqlServerAssessmentRules.CrossDatabaseReference, target),
                $"{name} references {where}. {fix}", name);
        }), cancellationToken).ConfigureAwait(false);

        await RunRuleAsync(source, SqlServerAssessmentRules.ClrAssembly, SqlServerQueries.ClrAssemblies, findings, rows => rows.Select(r =>
        {
            string name = r.GetString("assembly_name") ?? "?";
            string fix = target switch
            {
                DatabaseMigrationTargetKind.SqlDb => "Azure SQL Database does not run CLR code: rewrite the assembly's functions in T-SQL or move them to the application.",
                DatabaseMigrationTargetKind.SqlMi => "Managed Instance runs CLR assemblies loaded from binary only (not from a file); EXTERNAL_ACCESS and UNSAFE ones need a signed assembly or a trusted hash (sys.sp_add_trusted_assembly).",
                _ => "Enable 'clr enabled' on the VM's instance and trust the assembly there.",
            };
            return new AssessmentFinding(SqlServerAssessmentRules.ClrAssembly, SqlServerAssessmentRules.SeverityOf(SqlServerAssessmentRules.ClrAssembly, target),
                $"CLR assembly {name} ({r.GetString("permission_set_desc") ?? "unknown permission set"}). {fix}", name);
        }), cancellationToken).ConfigureAwait(false);

        await RunRuleAsync(source, SqlServerAssessmentRules.AgentJob, SqlServerQueries.AgentJobs, findings, rows => rows
            .GroupBy(r => r.GetString("job_name") ?? "?", StringComparer.Ordinal)
            .Select(job =>
            {
                bool enabled = job.First().GetBoolean("enabled");
                string steps = string.Join(", ", job.Select(r => $"step {r.GetInt64("step_id").ToString(CultureInfo.InvariantCulture)} '{r.GetString("step_name")}' ({r.GetString("subsystem")})"));
                string fix = target == DatabaseMigrationTargetKind.SqlDb
                    ? "Azure SQL Database has no SQL Agent: recreate the job as an elastic job or an Azure Automation runbook."
                    : "SQL Agent jobs live in msdb, which the migration does not move: script the job and create it on the target.";
                return new AssessmentFinding(SqlServerAssessmentRules.AgentJob,
                    SqlServerAssessmentRules.SeverityOf(SqlServerAssessmentRules.AgentJob, target, enabled ? "enabled" : "disabled"),
                    $"SQL Agent job '{job.Key}'{(enabled ? string.Empty : " (disabled)")} uses this database: {steps}. {fix}", job.Key);
            }), cancellationToken).ConfigureAwait(false);

        await RunRuleAsync(source, SqlServerAssessmentRules.LinkedServer, SqlServerQueries.LinkedServers, findings, rows => rows.Select(r =>
        {
            string name = r.GetString("linked_server") ?? "?";
            string fix = target == DatabaseMigrationTargetKind.SqlDb
                ? "Azure SQL Database has no linked servers: code using it must change (elastic query, or the application)."
                : "Linked servers are instance objects the migration does not move: recreate it on the target with its logins.";
            return new AssessmentFinding(SqlServerAssessmentRules.LinkedServer, SqlServerAssessmentRules.SeverityOf(SqlServerAssessmentRules.LinkedServer, target),
                $"Linked server {name} ({r.GetString("product")}, {r.GetString("provider")}) is defined on the source instance. {fix}", name);
        }), cancellationToken).ConfigureAwait(false);

        await RunRuleAsync(source, SqlServerAssessmentRules.DatabaseMail, SqlServerQueries.DatabaseMail, findings, rows => rows.Select(r =>
        {
            string kind = r.GetString("kind") ?? "module";
            string name = r.GetString("object_name") ?? "?";
            string message = kind == "profile"
                ? $"Database Mail profile {name} is configured on the source instance; profiles live in msdb and do not move. {(target == DatabaseMigrationTargetKind.SqlDb ? "Azure SQL Database has no Database Mail." : "Recreate the profile on the target if this database's code sends mail.")}"
                : $"{name} sends mail with sp_send_dbmail. {(target == DatabaseMigrationTargetKind.SqlDb ? "Azure SQL Database has no Database Mail: send mail from the application or a Logic App." : "Configure Database Mail with the same profile on the target.")}";
            return new AssessmentFinding(SqlServerAssessmentRules.DatabaseMail, SqlServerAssessmentRules.SeverityOf(SqlServerAssessmentRules.DatabaseMail, target, kind == "profile" ? "profile" : "module"), message, name);
        }), cancellationToken).ConfigureAwait(false);

        await RunRuleAsync(source, SqlServerAssessmentRules.Filestream, SqlServerQueries.Filestream, findings, rows => rows
            .Where(r => r.GetString("kind") == "filegroup" || !excluded.Contains(TableOf(r.GetString("object_name"))))
            .Select(r =>
            {
                string name = r.GetString("object_name") ?? "?";
                string fix = target == DatabaseMigrationTargetKind.SqlVm
                    ? "Enable FILESTREAM on the VM's instance before the restore."
                    : "Azure SQL Database and Managed Instance support neither FILESTREAM nor FileTable: store the files in Azure Blob Storage and keep their URLs, or move them into varbinary(max).";
                return new AssessmentFinding(SqlServerAssessmentRules.Filestream, SqlServerAssessmentRules.SeverityOf(SqlServerAssessmentRules.Filestream, target),
                    $"FILESTREAM {r.GetString("kind")} {name}. {fix}", name);
            }), cancellationToken).ConfigureAwait(false);

        bool brokerEnabled = server.GetBoolean("is_broker_enabled");
        await RunRuleAsync(source, SqlServerAssessmentRules.ServiceBroker, SqlServerQueries.ServiceBroker, findings, rows =>
        {
            var found = rows.Select(r =>
            {
                string name = r.GetString("object_name") ?? "?";
                string fix = target switch
                {
                    DatabaseMigrationTargetKind.SqlDb => "Azure SQL Database has no Service Broker: replace it with Azure Service Bus or a queue table.",
                    DatabaseMigrationTargetKind.SqlMi => "Managed Instance runs Service Broker within the instance only: routes to other instances stop working.",
                    _ => "Enable the broker on the restored database (ALTER DATABASE ... SET ENABLE_BROKER) and recreate routes and endpoints.",
                };
                return new AssessmentFinding(SqlServerAssessmentRules.ServiceBroker, SqlServerAssessmentRules.SeverityOf(SqlServerAssessmentRules.ServiceBroker, target, "in-use"),
                    $"Service Broker {r.GetString("kind")} {name}. {fix}", name);
            }).ToList();
            if (found.Count == 0 && brokerEnabled)
            {
                found.Add(new AssessmentFinding(SqlServerAssessmentRules.ServiceBroker, SqlServerAssessmentRules.SeverityOf(SqlServerAssessmentRules.ServiceBroker, target, "enabled"),
                    "Service Broker is enabled in the source database but it has no user queues or services; nothing to move."));
            }

            return found;
        }, cancellationToken).ConfigureAwait(false);

        await RunRuleAsync(source, SqlServerAssessmentRules.ServerTrigger, SqlServerQueries.ServerTriggers, findings, rows => rows.Select(r =>
        {
            string name = r.GetString("trigger_name") ?? "?";
            string fix = target == DatabaseMigrationTargetKind.SqlDb
                ? "Azure SQL Database has no server-scoped triggers: use database-scoped DDL triggers or auditing instead."
                : "Server triggers are instance objects the migration does not move: recreate it on the target.";
            return new AssessmentFinding(SqlServerAssessmentRules.ServerTrigger, SqlServerAssessmentRules.SeverityOf(SqlServerAssessmentRules.ServerTrigger, target),
                $"Server-scoped trigger {name}{(r.GetBoolean("is_disabled") ? " (disabled)" : string.Empty)} exists on the source instance. {fix}", name);
        }), cancellationToken).ConfigureAwait(false);

        await RunRuleAsync(source, SqlServerAssessmentRules.TraceFlag, SqlServerQueries.TraceFlags, findings, rows => rows.Where(r => r.GetBoolean("Global")).Select(r =>
        {
            string flag = r.GetString("TraceFlag") ?? "?";
            string fix = target switch
            {
                DatabaseMigrationTargetKind.SqlDb => "Azure SQL Database does not take trace flags: check that the workload does not depend on it (many map to database scoped configurations).",
                DatabaseMigrationTargetKind.SqlMi => "Managed Instance accepts only a few global trace flags: check that this one is among them or that the workload does not need it.",
                _ => "Add it as a startup parameter (-T) of the VM's instance.",
            };
            return new AssessmentFinding(SqlServerAssessmentRules.TraceFlag, SqlServerAssessmentRules.SeverityOf(SqlServerAssessmentRules.TraceFlag, target),
                $"Trace flag {flag} is enabled globally on the source. {fix}", "trace flag " + flag);
        }), cancellationToken).ConfigureAwait(false);

        await RunRuleAsync(source, SqlServerAssessmentRules.UnsupportedFeature, SqlServerQueries.UnsupportedFeatures, findings, rows => rows
            .Where(r => r.GetString("feature") is not ("deprecated-type" or "clr-type" or "memory-optimized") || !excluded.Contains(TableOf(r.GetString("object_name"))))
            .Select(r => Feature(r, target)), cancellationToken).ConfigureAwait(false);

        return Finish(database, engineVersion, usedBytes, moving.Count, findings, target);
    }

    private static AssessmentFinding Feature(SqlServerRow row, DatabaseMigrationTargetKind target)
    {
        string feature = row.GetString("feature") ?? "?";
        string name = row.GetString("object_name") ?? "?";
        string? detail = row.GetString("detail");
        bool sqlDb = target == DatabaseMigrationTargetKind.SqlDb;
        bool vm = target == DatabaseMigrationTargetKind.SqlVm;
        (string rule, string message) = feature switch
        {
            "deprecated-type" => (SqlServerAssessmentRules.UnsupportedDataType,
                $"Column {name} has the deprecated type {detail}. {(vm ? "It still works; plan" : "Plan")} to convert it ({detail} → {(detail == "image" ? "varbinary(max)" : detail == "ntext" ? "nvarchar(max)" : "varchar(max)")}) before the type is removed."),
            "clr-type" => (SqlServerAssessmentRules.UnsupportedDataType,
                $"Column {name} has the CLR user-defined type {detail}. {(sqlDb ? "Azure SQL Database cannot load its assembly: convert the column to a built-in type." : "Deploy its assembly on the target before the data moves.")}"),
            "memory-optimized" => (SqlServerAssessmentRules.UnsupportedFeature,
                $"Table {name} is memory-optimized. {(vm ? "Give the VM's instance the memory and a MEMORY_OPTIMIZED_DATA filegroup." : "Only the Premium and Business Critical tiers support In-Memory OLTP: choose one, or convert the table to a disk-based table.")}"),
            "xp_cmdshell" => (SqlServerAssessmentRules.UnsupportedFeature,
                $"{name} calls xp_cmdshell. {(vm ? "Enable it on the VM's instance only if you must." : "Azure SQL Database and Managed Instance have no xp_cmdshell: move the shell work out of the database.")}"),
            "openrowset" or "opendatasource" or "bulk-insert" => (SqlServerAssessmentRules.UnsupportedFeature,
                $"{name} uses {feature.ToUpperInvariant().Replace('-', ' ')}. {(vm ? "Make the files or servers it reads reachable from the VM." : "On Azure SQL it reads from Azure Blob Storage only (through an external data source): move the files there and change the code.")}"),
            "distributed-transaction" => (SqlServerAssessmentRules.UnsupportedFeature,
                $"{name} starts a distributed transaction. {(sqlDb ? "Azure SQL Database supports only elastic transactions between Azure SQL databases: change the code." : vm ? "Configure MSDTC on the VM." : "Managed Instance supports them only within a server trust group or with DTC for Managed Instance: set that up.")}"),
            "external-script" => (SqlServerAssessmentRules.UnsupportedFeature,
                $"{name} runs external scripts (sp_execute_external_script). {(sqlDb ? "Azure SQL Database has no Machine Learning Services: move the scripts out of the database." : "Enable Machine Learning Services on the target.")}"),
            "windows-principal" => (SqlServerAssessmentRules.UnsupportedFeature,
                $"Database user {name} is a Windows {(detail?.Contains("GROUP", StringComparison.OrdinalIgnoreCase) == true ? "group" : "user")}. {(vm ? "Join the VM to the domain so it keeps working." : "Azure SQL has no Windows authentication for it: map it to a Microsoft Entra principal (ALTER USER ... WITH NAME / CREATE USER ... FROM EXTERNAL PROVIDER).")}"),
            _ => (SqlServerAssessmentRules.UnsupportedFeature, $"{name} uses {feature}."),
        };
        var severity = feature is "deprecated-type" or "clr-type" or "memory-optimized" or "xp_cmdshell" or "openrowset" or "opendatasource" or "bulk-insert" or "distributed-transaction" or "external-script" or "windows-principal"
            ? SqlServerAssessmentRules.SeverityOf(rule, target, feature)
            : FindingSeverity.Warning;
        return new AssessmentFinding(rule, severity, message, name);
    }

    private void AddSize(List<AssessmentFinding> findings, DatabaseMigrationTargetKind target, long usedBytes, long allocatedBytes, int tables)
    {
        string sizes = string.Create(CultureInfo.InvariantCulture, $"{Gib(usedBytes)} used of {Gib(allocatedBytes)} allocated in data files, {tables} table(s) to move");
        long? limit = _options.MaxSizeBytesFor(target);
        if (limit is { } max && usedBytes > max)
        {
            findings.Add(new(SqlServerAssessmentRules.Size, FindingSeverity.Blocking,
                $"The source holds {sizes}: more than the {Gib(max)} a {target} target takes. {(target == DatabaseMigrationTargetKind.SqlDb ? "Choose Hyperscale (up to 128 TiB; set the limit accordingly), or archive data first." : "Reduce the data first, or choose a larger target.")}"));
        }
        else if (limit is { } near && usedBytes > near * _options.SizeWarningRatio)
        {
            findings.Add(new(SqlServerAssessmentRules.Size, FindingSeverity.Warning,
                $"The source holds {sizes}: close to the {Gib(near)} a {target} target takes, leaving little room to grow. Plan the target's maximum size (or tier) accordingly."));
        }
        else
        {
            findings.Add(new(SqlServerAssessmentRules.Size, FindingSeverity.Information, $"The source holds {sizes}."));
        }
    }

    private void AddCompatibilityLevel(List<AssessmentFinding> findings, DatabaseMigrationTargetKind target, int level)
    {
        int minimum = _options.MinimumCompatibilityLevelFor(target);
        if (level < minimum)
        {
            findings.Add(new(SqlServerAssessmentRules.CompatibilityLevel, FindingSeverity.Blocking,
                string.Create(CultureInfo.InvariantCulture, $"The database's compatibility level is {level}; a {target} target supports {minimum} and higher. Test the application at level {minimum} or higher, then ALTER DATABASE ... SET COMPATIBILITY_LEVEL = {minimum} on the source.")));
        }
    }

    private static void AddUnknownTables(List<AssessmentFinding> findings, TableFilter? filter, IReadOnlyList<SqlServerRow> tables)
    {
        if (filter is null)
        {
            return;
        }

        var present = new HashSet<string>(tables.Select(Display), StringComparer.OrdinalIgnoreCase);
        foreach (string name in filter.Include.Where(n => !present.Contains(n)).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            findings.Add(new(SqlServerAssessmentRules.UnknownTable, FindingSeverity.Blocking,
                $"The table filter includes {name}, which the source database does not have. Correct the name (schema.table) in the manifest.", name));
        }

        foreach (string name in filter.Exclude.Where(n => !present.Contains(n)).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            findings.Add(new(SqlServerAssessmentRules.UnknownTable, FindingSeverity.Warning,
                $"The table filter excludes {name}, which the source database does not have, so it excludes nothing. Check the name (schema.table) in the manifest.", name));
        }
    }

    private async Task RunRuleAsync(ISqlServerQueryRunner source, string rule, SqlServerQuery query, List<AssessmentFinding> findings, Func<IReadOnlyList<SqlServerRow>, IEnumerable<AssessmentFinding>> interpret, CancellationToken cancellationToken)
    {
        IReadOnlyList<SqlServerRow> rows;
        try
        {
            rows = await source.QueryAsync(query, null, cancellationToken).ConfigureAwait(false);
        }
        catch (PermanentDatabaseProviderException ex) when (SqlServerErrors.NumberOf(ex) is int number && (SqlServerErrors.IsPermissionDenied(number) || number == 208))
        {
            SqlServerLogs.RuleNotChecked(_logger, source.Database, rule, ex.Message);
            findings.Add(new(SqlServerAssessmentRules.RuleNotChecked, FindingSeverity.Warning,
                $"Rule {rule} was not checked: the login may not run {query.Name} (error {number}). Grant it VIEW SERVER STATE and read access to msdb (or run the assessment as a sysadmin) and assess again.",
                rule));
            return;
        }

        findings.AddRange(interpret(rows));
    }

    private AssessmentReport Finish(string database, string engineVersion, long sizeBytes, int tables, List<AssessmentFinding> findings, DatabaseMigrationTargetKind target)
    {
        var report = new AssessmentReport(database, engineVersion, sizeBytes, tables, findings);
        SqlServerLogs.Assessed(_logger, database, target.ToString(), engineVersion, tables, sizeBytes,
            findings.Count(f => f.Severity == FindingSeverity.Blocking), findings.Count(f => f.Severity == FindingSeverity.Warning));
        return report;
    }

    private static string Display(SqlServerRow table) => SqlServerIdentifier.DisplayName(table.GetString("schema_name") ?? "?", table.GetString("table_name") ?? "?");

    /// <summary>The filter with every name as <c>schema.table</c> (a bare name in <c>dbo</c>).</summary>
    internal static TableFilter? Normalize(TableFilter? filter) => filter is null
        ? null
        : new TableFilter(
            [.. filter.Include.Select(Qualify)],
            [.. filter.Exclude.Select(Qualify)]);

    internal static bool Includes(TableFilter? normalized, string table) => normalized?.Includes(table) ?? true;

    private static string Qualify(string name)
    {
        var (schema, table) = SqlServerIdentifier.SplitTableName(name);
        return SqlServerIdentifier.DisplayName(schema, table);
    }

    /// <summary>The <c>schema.table</c> an object name of the form <c>schema.table[.column]</c> belongs to.</summary>
    private static string TableOf(string? objectName)
    {
        if (objectName is null)
        {
            return string.Empty;
        }

        string[] parts = objectName.Split('.');
        return parts.Length >= 2 ? parts[0] + "." + parts[1] : objectName;
    }

    private static string Gib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024d * 1024 * 1024):0.##} GiB");
}
