using DurableMigration.Manifest;
using DurableMigration.Providers.Postgres;

namespace DurableMigration.Providers.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresAssessmentTests(PostgresClusters clusters)
{
    [Fact]
    public async Task Assess_HealthyDatabase_ReportsVersionSizeAndTablesWithoutBlocking()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "assess", "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY); CREATE SEQUENCE s;");

        var report = await new PostgresDatabaseProvider().AssessAsync(endpoints);

        Assert.False(report.IsBlocked, string.Join("; ", report.Findings.Select(f => f.Message)));
        Assert.Equal(2, report.Tables);
        Assert.True(report.SizeBytes > 0);
        Assert.StartsWith("15", report.EngineVersion, StringComparison.Ordinal);
        Assert.Contains(report.Findings, f => f.Rule == PostgresAssessmentRules.Sequences && f.Severity == FindingSeverity.Information);
        Assert.Contains(report.Findings, f => f.Rule == PostgresAssessmentRules.TargetState && f.Severity == FindingSeverity.Information);
    }

    [Fact]
    public async Task Assess_OnlineTableWithoutPrimaryKey_Blocks()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "nopk", "CREATE TABLE keyless (v int); CREATE TABLE full_identity (v int); ALTER TABLE full_identity REPLICA IDENTITY FULL;", mode: MigrationMode.Online);

        var report = await new PostgresDatabaseProvider().AssessAsync(endpoints);

        var finding = Assert.Single(report.Findings, f => f.Rule == PostgresAssessmentRules.NoPrimaryKey);
        Assert.Equal(FindingSeverity.Blocking, finding.Severity);
        Assert.Equal("public.keyless", finding.Object);
        Assert.Contains("REPLICA IDENTITY FULL", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Assess_OfflineTableWithoutPrimaryKey_DoesNotBlock()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "nopkoff", "CREATE TABLE keyless (v int);");

        var report = await new PostgresDatabaseProvider().AssessAsync(endpoints);

        Assert.False(report.IsBlocked);
        Assert.Equal(FindingSeverity.Information, Assert.Single(report.Findings, f => f.Rule == PostgresAssessmentRules.NoPrimaryKey).Severity);
    }

    [Fact]
    public async Task Assess_OnlineUnloggedTableAndLargeObject_Block()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "unlogged", "CREATE UNLOGGED TABLE scratch (id int PRIMARY KEY); SELECT lo_create(0);", mode: MigrationMode.Online);

        var report = await new PostgresDatabaseProvider().AssessAsync(endpoints);

        Assert.Equal(FindingSeverity.Blocking, Assert.Single(report.Findings, f => f.Rule == PostgresAssessmentRules.UnloggedTable).Severity);
        Assert.Equal(FindingSeverity.Blocking, Assert.Single(report.Findings, f => f.Rule == PostgresAssessmentRules.LargeObjects).Severity);
    }

    [Fact]
    public async Task Assess_ExtensionMissingOnTarget_Blocks()
    {
        // Both test clusters share one installation, so every extension is available on both: rename an installed
        // extension in the source's catalog to one no server has.
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "ext", "CREATE EXTENSION pg_trgm; UPDATE pg_extension SET extname = 'dmig_nowhere' WHERE extname = 'pg_trgm';");

        var report = await new PostgresDatabaseProvider().AssessAsync(endpoints);

        var finding = Assert.Single(report.Findings, f => f.Rule == PostgresAssessmentRules.Extension);
        Assert.Equal(FindingSeverity.Blocking, finding.Severity);
        Assert.Equal("dmig_nowhere", finding.Object);
    }

    [Fact]
    public async Task Assess_UnreachableServer_BlocksWithOneLineMessage()
    {
        var endpoints = new MigrationEndpoints("gone", "Host=127.0.0.1;Port=1;Database=gone;Username=postgres;Password=hunter2;Timeout=2", clusters.Target.ConnectionString("gone_target"), null);

        var report = await new PostgresDatabaseProvider().AssessAsync(endpoints);

        var finding = Assert.Single(report.Findings, f => f.Rule == PostgresAssessmentRules.Connectivity);
        Assert.Equal(FindingSeverity.Blocking, finding.Severity);
        Assert.DoesNotContain('\n', finding.Message);
        Assert.DoesNotContain("hunter2", finding.Message, StringComparison.Ordinal);
        Assert.Contains("source database 'gone'", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Assess_MissingSourceDatabase_Blocks()
    {
        var endpoints = new MigrationEndpoints("nodb", clusters.Source.ConnectionString("no_such_database"), clusters.Target.ConnectionString("nodb_target"), null);

        var report = await new PostgresDatabaseProvider().AssessAsync(endpoints);

        var finding = Assert.Single(report.Findings, f => f.Rule == PostgresAssessmentRules.Connectivity);
        Assert.Contains("3D000", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Assess_FilterNamesUnknownTable_Blocks()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "unknown", "CREATE TABLE real_table (id int PRIMARY KEY);", new TableFilter(["real_table", "public.imaginary"], []));

        var report = await new PostgresDatabaseProvider().AssessAsync(endpoints);

        Assert.Equal("public.imaginary", Assert.Single(report.Findings, f => f.Rule == PostgresAssessmentRules.UnknownTable).Object);
        Assert.Equal(1, report.Tables);
    }

    [Fact]
    public async Task Assess_UnmarkedNonEmptyTarget_Blocks()
    {
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "occupied", "CREATE TABLE t (id int PRIMARY KEY);");
        await PostgresClusters.CreateDatabaseAsync(clusters.Target, PostgresTestDatabase.TargetDatabase(endpoints), "CREATE TABLE theirs (id int);");

        var report = await new PostgresDatabaseProvider().AssessAsync(endpoints);

        Assert.Equal(FindingSeverity.Blocking, Assert.Single(report.Findings, f => f.Rule == PostgresAssessmentRules.TargetNotEmpty).Severity);
    }

    [Fact]
    public async Task Assess_OnlineTargetUserNotSuperuser_Blocks()
    {
        string role = clusters.NewDatabaseName("plain_user");
        await PostgresTestDatabase.ExecuteAsync(clusters.Target.ConnectionString(), $"CREATE ROLE {role} LOGIN");
        var endpoints = await PostgresTestDatabase.CreateAsync(clusters, "subpriv", "CREATE TABLE t (id int PRIMARY KEY);", mode: MigrationMode.Online);
        endpoints = endpoints with { TargetConnection = endpoints.TargetConnection.Replace("Username=postgres", $"Username={role}", StringComparison.Ordinal) };

        var report = await new PostgresDatabaseProvider().AssessAsync(endpoints);

        Assert.Equal(FindingSeverity.Blocking, Assert.Single(report.Findings, f => f.Rule == PostgresAssessmentRules.SubscriptionPrivilege).Severity);
        Assert.Equal(FindingSeverity.Blocking, Assert.Single(report.Findings, f => f.Rule == PostgresAssessmentRules.CreateDatabase).Severity);
    }
}
