using DurableMigration.Manifest;
using DurableMigration.Providers.Dms;
using DurableMigration.Providers.SqlServer;
using DurableMigration.Providers.Tests.Fixtures;

namespace DurableMigration.Providers.Tests.SqlServer;

/// <summary>The assessment's rule engine against recorded result sets: every rule firing and not firing, severities per target kind, size limits, compatibility level, version and connection errors.</summary>
public sealed class SqlServerAssessmentTests
{
    private const string Baseline = "Assessment/Baseline";
    private const string AllRulesFire = "Assessment/AllRulesFire";

    private static readonly string[] CatalogRules =
    [
        SqlServerAssessmentRules.CrossDatabaseReference, SqlServerAssessmentRules.ClrAssembly, SqlServerAssessmentRules.AgentJob,
        SqlServerAssessmentRules.LinkedServer, SqlServerAssessmentRules.DatabaseMail, SqlServerAssessmentRules.Filestream,
        SqlServerAssessmentRules.ServiceBroker, SqlServerAssessmentRules.ServerTrigger, SqlServerAssessmentRules.TraceFlag,
        SqlServerAssessmentRules.UnsupportedDataType, SqlServerAssessmentRules.UnsupportedFeature,
    ];

    public static TheoryData<DatabaseMigrationTargetKind, string, string, FindingSeverity> Severities => new()
    {
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.CrossDatabaseReference, "dbo.v_customer_orders", FindingSeverity.Blocking },
        { DatabaseMigrationTargetKind.SqlMi, SqlServerAssessmentRules.CrossDatabaseReference, "dbo.v_customer_orders", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlVm, SqlServerAssessmentRules.CrossDatabaseReference, "dbo.v_customer_orders", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.ClrAssembly, "RegexFunctions", FindingSeverity.Blocking },
        { DatabaseMigrationTargetKind.SqlMi, SqlServerAssessmentRules.ClrAssembly, "RegexFunctions", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlVm, SqlServerAssessmentRules.ClrAssembly, "RegexFunctions", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.AgentJob, "nightly rollup", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.AgentJob, "old export", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlMi, SqlServerAssessmentRules.AgentJob, "nightly rollup", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlVm, SqlServerAssessmentRules.AgentJob, "nightly rollup", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.LinkedServer, "HQ", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlMi, SqlServerAssessmentRules.LinkedServer, "HQ", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.DatabaseMail, "dbo.p_notify", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.DatabaseMail, "ops", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlMi, SqlServerAssessmentRules.DatabaseMail, "dbo.p_notify", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.Filestream, "documents_fs", FindingSeverity.Blocking },
        { DatabaseMigrationTargetKind.SqlMi, SqlServerAssessmentRules.Filestream, "dbo.documents", FindingSeverity.Blocking },
        { DatabaseMigrationTargetKind.SqlVm, SqlServerAssessmentRules.Filestream, "dbo.orders.scan", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.ServiceBroker, "dbo.order_queue", FindingSeverity.Blocking },
        { DatabaseMigrationTargetKind.SqlMi, SqlServerAssessmentRules.ServiceBroker, "//sales/orders", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlVm, SqlServerAssessmentRules.ServiceBroker, "dbo.order_queue", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.ServerTrigger, "audit_logon", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlVm, SqlServerAssessmentRules.ServerTrigger, "audit_logon", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.TraceFlag, "trace flag 1117", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlMi, SqlServerAssessmentRules.TraceFlag, "trace flag 1117", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlVm, SqlServerAssessmentRules.TraceFlag, "trace flag 1117", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.UnsupportedDataType, "dbo.customers.location", FindingSeverity.Blocking },
        { DatabaseMigrationTargetKind.SqlMi, SqlServerAssessmentRules.UnsupportedDataType, "dbo.customers.location", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.UnsupportedDataType, "dbo.orders.notes", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlVm, SqlServerAssessmentRules.UnsupportedDataType, "dbo.orders.notes", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.UnsupportedFeature, "dbo.p_archive", FindingSeverity.Blocking },
        { DatabaseMigrationTargetKind.SqlMi, SqlServerAssessmentRules.UnsupportedFeature, "dbo.p_archive", FindingSeverity.Blocking },
        { DatabaseMigrationTargetKind.SqlVm, SqlServerAssessmentRules.UnsupportedFeature, "dbo.p_archive", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.UnsupportedFeature, "dbo.p_score", FindingSeverity.Blocking },
        { DatabaseMigrationTargetKind.SqlMi, SqlServerAssessmentRules.UnsupportedFeature, "dbo.p_score", FindingSeverity.Information },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.UnsupportedFeature, "dbo.sessions", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.UnsupportedFeature, "dbo.p_import", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.UnsupportedFeature, "dbo.p_read_remote", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.UnsupportedFeature, "dbo.p_load_file", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.UnsupportedFeature, "dbo.p_transfer", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlDb, SqlServerAssessmentRules.UnsupportedFeature, "CONTOSO\\reporting", FindingSeverity.Warning },
        { DatabaseMigrationTargetKind.SqlVm, SqlServerAssessmentRules.UnsupportedFeature, "CONTOSO\\reporting", FindingSeverity.Information },
    };

    [Theory]
    [InlineData(DatabaseMigrationTargetKind.SqlDb)]
    [InlineData(DatabaseMigrationTargetKind.SqlMi)]
    [InlineData(DatabaseMigrationTargetKind.SqlVm)]
    public async Task A_clean_database_reports_version_and_size_and_no_rule_fires(DatabaseMigrationTargetKind target)
    {
        var report = await AssessAsync(target, Baseline);

        Assert.Equal("sales", report.Database);
        Assert.Equal("SQL Server 16.0.4135.4 (Enterprise Edition (64-bit))", report.EngineVersion);
        Assert.Equal(5L * 1024 * 1024 * 1024, report.SizeBytes);
        Assert.Equal(3, report.Tables);
        Assert.False(report.IsBlocked);
        Assert.Equal([SqlServerAssessmentRules.Version, SqlServerAssessmentRules.Size], report.Findings.Select(f => f.Rule));
        Assert.All(report.Findings, f => Assert.Equal(FindingSeverity.Information, f.Severity));
        Assert.Contains("5 GiB used of 6 GiB allocated", report.Findings[1].Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Severities))]
    public async Task Each_rule_fires_with_the_severity_of_its_target_kind(DatabaseMigrationTargetKind target, string rule, string objectName, FindingSeverity expected)
    {
        var report = await AssessAsync(target, AllRulesFire, Baseline);

        var finding = Assert.Single(report.Findings, f => f.Rule == rule && f.Object == objectName);
        Assert.Equal(expected, finding.Severity);
    }

    [Fact]
    public async Task Every_catalog_rule_fires_on_the_recording_that_has_them_all()
    {
        var report = await AssessAsync(DatabaseMigrationTargetKind.SqlDb, AllRulesFire, Baseline);

        Assert.All(CatalogRules, rule => Assert.Contains(report.Findings, f => f.Rule == rule));
        Assert.True(report.IsBlocked);
        Assert.Equal(6, report.Tables);
    }

    [Fact]
    public async Task Findings_carry_a_fix_for_the_target()
    {
        var sqlDb = await AssessAsync(DatabaseMigrationTargetKind.SqlDb, AllRulesFire, Baseline);
        var sqlMi = await AssessAsync(DatabaseMigrationTargetKind.SqlMi, AllRulesFire, Baseline);

        Assert.Contains("elastic query", Single(sqlDb, SqlServerAssessmentRules.CrossDatabaseReference, "dbo.v_customer_orders").Message, StringComparison.Ordinal);
        Assert.Contains("same instance", Single(sqlMi, SqlServerAssessmentRules.CrossDatabaseReference, "dbo.v_customer_orders").Message, StringComparison.Ordinal);
        Assert.Contains("database 'erp' on linked server 'HQ'", Single(sqlDb, SqlServerAssessmentRules.CrossDatabaseReference, "dbo.p_sync_erp").Message, StringComparison.Ordinal);
        Assert.Contains("elastic job", Single(sqlDb, SqlServerAssessmentRules.AgentJob, "nightly rollup").Message, StringComparison.Ordinal);
        Assert.Contains("step 1 'rollup' (TSQL), step 2 'purge' (TSQL)", Single(sqlDb, SqlServerAssessmentRules.AgentJob, "nightly rollup").Message, StringComparison.Ordinal);
        Assert.Contains("Azure Blob Storage", Single(sqlDb, SqlServerAssessmentRules.Filestream, "documents_fs").Message, StringComparison.Ordinal);
        Assert.Contains("ntext → nvarchar(max)", Single(sqlDb, SqlServerAssessmentRules.UnsupportedDataType, "dbo.orders.notes").Message, StringComparison.Ordinal);
        Assert.Contains("Microsoft Entra", Single(sqlDb, SqlServerAssessmentRules.UnsupportedFeature, "CONTOSO\\reporting").Message, StringComparison.Ordinal);
        Assert.Contains("Azure Service Bus", Single(sqlDb, SqlServerAssessmentRules.ServiceBroker, "dbo.order_queue").Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trace_flags_enabled_for_a_session_only_are_not_reported()
    {
        var report = await AssessAsync(DatabaseMigrationTargetKind.SqlDb, AllRulesFire, Baseline);

        Assert.Single(report.Findings, f => f.Rule == SqlServerAssessmentRules.TraceFlag);
        Assert.DoesNotContain(report.Findings, f => f.Object == "trace flag 3604");
    }

    [Fact]
    public async Task Tables_without_a_primary_key_are_named_for_information()
    {
        var report = await AssessAsync(DatabaseMigrationTargetKind.SqlDb, AllRulesFire, Baseline);

        var finding = Assert.Single(report.Findings, f => f.Rule == SqlServerAssessmentRules.NoPrimaryKey);
        Assert.Equal("dbo.events", finding.Object);
        Assert.Equal(FindingSeverity.Information, finding.Severity);
    }

    [Fact]
    public async Task Service_broker_enabled_without_queues_is_information()
    {
        var report = await AssessAsync(DatabaseMigrationTargetKind.SqlDb, "Assessment/BrokerEnabled", Baseline);

        var finding = Assert.Single(report.Findings, f => f.Rule == SqlServerAssessmentRules.ServiceBroker);
        Assert.Equal(FindingSeverity.Information, finding.Severity);
        Assert.False(report.IsBlocked);
    }

    [Theory]
    [InlineData(4.0, FindingSeverity.Blocking)]
    [InlineData(5.2, FindingSeverity.Warning)]
    [InlineData(6.0, FindingSeverity.Information)]
    public async Task Size_is_measured_against_the_configured_limit(double limitGib, FindingSeverity expected)
    {
        var options = new SqlServerAssessmentOptions { SqlDbMaxSizeBytes = (long)(limitGib * 1024 * 1024 * 1024) };

        var report = await AssessAsync(DatabaseMigrationTargetKind.SqlDb, options, Baseline);

        Assert.Equal(expected, Assert.Single(report.Findings, f => f.Rule == SqlServerAssessmentRules.Size).Severity);
    }

    [Fact]
    public void Size_limits_default_to_the_documented_numbers()
    {
        var options = new SqlServerAssessmentOptions();

        Assert.Equal(4L << 40, options.MaxSizeBytesFor(DatabaseMigrationTargetKind.SqlDb));
        Assert.Equal(16L << 40, options.MaxSizeBytesFor(DatabaseMigrationTargetKind.SqlMi));
        Assert.Null(options.MaxSizeBytesFor(DatabaseMigrationTargetKind.SqlVm));
        Assert.Equal(128L << 40, SqlServerAssessmentOptions.HyperscaleMaxSizeBytes);
    }

    [Theory]
    [InlineData(DatabaseMigrationTargetKind.SqlDb)]
    [InlineData(DatabaseMigrationTargetKind.SqlMi)]
    [InlineData(DatabaseMigrationTargetKind.SqlVm)]
    public async Task A_compatibility_level_below_the_targets_minimum_blocks(DatabaseMigrationTargetKind target)
    {
        var report = await AssessAsync(target, "Assessment/Compatibility90", Baseline);

        var finding = Assert.Single(report.Findings, f => f.Rule == SqlServerAssessmentRules.CompatibilityLevel);
        Assert.Equal(FindingSeverity.Blocking, finding.Severity);
        Assert.Contains("compatibility level is 90", finding.Message, StringComparison.Ordinal);
        Assert.Contains("SET COMPATIBILITY_LEVEL = 100", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_compatibility_minimum_is_configurable()
    {
        var options = new SqlServerAssessmentOptions { SqlDbMinimumCompatibilityLevel = 170 };

        var report = await AssessAsync(DatabaseMigrationTargetKind.SqlDb, options, Baseline);

        Assert.Equal(FindingSeverity.Blocking, Assert.Single(report.Findings, f => f.Rule == SqlServerAssessmentRules.CompatibilityLevel).Severity);
    }

    [Fact]
    public async Task An_Azure_SQL_Database_source_blocks_before_any_rule_runs()
    {
        var runner = new RecordedQueryRunner("sales", "Assessment/AzureSqlDatabaseSource", Baseline);

        var report = await new SqlServerAssessment().AssessAsync(runner, DatabaseMigrationTargetKind.SqlDb);

        var finding = Assert.Single(report.Findings);
        Assert.Equal((SqlServerAssessmentRules.Version, FindingSeverity.Blocking), (finding.Rule, finding.Severity));
        Assert.Equal([SqlServerQueries.ServerProperties.Name], runner.Calls.Select(c => c.Query.Name));
    }

    [Fact]
    public async Task A_source_older_than_SQL_Server_2016_blocks()
    {
        var report = await AssessAsync(DatabaseMigrationTargetKind.SqlMi, "Assessment/SqlServer2014", Baseline);

        var finding = Assert.Single(report.Findings);
        Assert.Equal(FindingSeverity.Blocking, finding.Severity);
        Assert.Contains("SQL Server 12.0.6024.0", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_filter_naming_a_missing_table_blocks_and_excluded_tables_are_not_assessed()
    {
        var filter = new TableFilter(["orders", "dbo.documents", "sales.[order lines]", "dbo.nope"], ["dbo.orders", "dbo.gone"]);

        var report = await AssessAsync(DatabaseMigrationTargetKind.SqlDb, filter, AllRulesFire, Baseline);

        var unknown = report.Findings.Where(f => f.Rule == SqlServerAssessmentRules.UnknownTable).ToList();
        Assert.Equal([("dbo.nope", FindingSeverity.Blocking), ("dbo.gone", FindingSeverity.Warning)], unknown.Select(f => (f.Object, f.Severity)));
        Assert.Equal(2, report.Tables);
        Assert.DoesNotContain(report.Findings, f => f.Object is "dbo.orders.scan" or "dbo.orders.notes" or "dbo.sessions");
        Assert.Contains(report.Findings, f => f.Object == "dbo.documents" && f.Rule == SqlServerAssessmentRules.Filestream);
        Assert.Contains(report.Findings, f => f.Object == "documents_fs");
    }

    [Fact]
    public async Task A_rule_the_login_may_not_run_becomes_a_warning_and_the_others_still_run()
    {
        var logger = new RecordingLogger<SqlServerAssessment>();
        var runner = new RecordedQueryRunner("sales", "Assessment/NoMsdbAccess", AllRulesFire, Baseline);

        var report = await new SqlServerAssessment(null, logger).AssessAsync(runner, DatabaseMigrationTargetKind.SqlDb);

        var notChecked = report.Findings.Where(f => f.Rule == SqlServerAssessmentRules.RuleNotChecked).ToList();
        Assert.Equal([SqlServerAssessmentRules.AgentJob, SqlServerAssessmentRules.DatabaseMail], notChecked.Select(f => f.Object));
        Assert.All(notChecked, f => Assert.Equal(FindingSeverity.Warning, f.Severity));
        Assert.Contains("error 229", notChecked[0].Message, StringComparison.Ordinal);
        Assert.Contains(report.Findings, f => f.Rule == SqlServerAssessmentRules.ClrAssembly);
        Assert.Equal(2, logger.Lines.Count(l => l.EventId == 322));
    }

    [Fact]
    public async Task A_login_without_view_any_definition_is_warned_that_rules_may_miss_objects()
    {
        var report = await AssessAsync(DatabaseMigrationTargetKind.SqlDb, "Assessment/LimitedLogin", Baseline);

        var finding = Assert.Single(report.Findings, f => f.Rule == SqlServerAssessmentRules.Permissions);
        Assert.Equal(FindingSeverity.Warning, finding.Severity);
        Assert.Contains("lacks VIEW ANY DEFINITION", finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("VIEW SERVER STATE and", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_login_with_both_view_permissions_needs_no_sysadmin()
    {
        var report = await AssessAsync(DatabaseMigrationTargetKind.SqlDb, "Assessment/GrantedLogin", Baseline);

        Assert.DoesNotContain(report.Findings, f => f.Rule == SqlServerAssessmentRules.Permissions);
    }

    [Fact]
    public async Task Login_failed_is_a_permanent_error_that_names_the_problem()
    {
        var ex = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => AssessAsync(DatabaseMigrationTargetKind.SqlDb, "Assessment/LoginFailed", Baseline));

        Assert.Equal("sales", ex.Database);
        Assert.Contains("login failed (error 18456)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("user and password", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_database_is_a_permanent_error_that_names_the_problem()
    {
        var ex = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => AssessAsync(DatabaseMigrationTargetKind.SqlDb, "Assessment/DatabaseMissing", Baseline));

        Assert.Contains("cannot open the database", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Assessment/ServerNotFound", "not found or not reachable")]
    [InlineData("Assessment/Throttled", "transient error 40501")]
    public async Task An_unreachable_or_busy_server_is_a_retriable_error(string scenario, string expected)
    {
        var ex = await Assert.ThrowsAsync<DatabaseProviderException>(() => AssessAsync(DatabaseMigrationTargetKind.SqlDb, scenario, Baseline));

        Assert.IsNotType<PermanentDatabaseProviderException>(ex);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_assessment_logs_one_summary_line()
    {
        var logger = new RecordingLogger<SqlServerAssessment>();

        await new SqlServerAssessment(null, logger).AssessAsync(new RecordedQueryRunner("sales", AllRulesFire, Baseline), DatabaseMigrationTargetKind.SqlDb);

        var line = Assert.Single(logger.Lines, l => l.EventId == 321);
        Assert.Contains("Assessed SQL Server database sales for SqlDb", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Severity_of_an_unknown_rule_is_refused()
    {
        Assert.Throws<ArgumentException>(() => SqlServerAssessmentRules.SeverityOf("sqlserver.nope", DatabaseMigrationTargetKind.SqlDb));
        Assert.Throws<ArgumentException>(() => SqlServerAssessmentRules.SeverityOf(SqlServerAssessmentRules.AgentJob, DatabaseMigrationTargetKind.SqlDb));
    }

    private static AssessmentFinding Single(AssessmentReport report, string rule, string objectName) =>
        Assert.Single(report.Findings, f => f.Rule == rule && f.Object == objectName);

    private static Task<AssessmentReport> AssessAsync(DatabaseMigrationTargetKind target, params string[] folders) =>
        new SqlServerAssessment().AssessAsync(new RecordedQueryRunner("sales", folders), target);

    private static Task<AssessmentReport> AssessAsync(DatabaseMigrationTargetKind target, SqlServerAssessmentOptions options, params string[] folders) =>
        new SqlServerAssessment(options).AssessAsync(new RecordedQueryRunner("sales", folders), target);

    private static Task<AssessmentReport> AssessAsync(DatabaseMigrationTargetKind target, TableFilter filter, params string[] folders) =>
        new SqlServerAssessment().AssessAsync(new RecordedQueryRunner("sales", folders), target, filter);
}
