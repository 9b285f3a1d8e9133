using DurableMigration.Manifest;
using DurableMigration.Providers.Sqlite;
using DurableMigration.Providers.Tests.Fixtures;

namespace DurableMigration.Providers.Tests;

public sealed class SqliteAssessmentTests : IDisposable
{
    private readonly ProviderScenario _scenario = new();

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public async Task AssessAsync_CleanSource_IsNotBlockedAndDescribesTheSource()
    {
        _scenario.BuildSource();

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints());

        Assert.False(report.IsBlocked);
        Assert.Equal("social", report.Database);
        Assert.Equal(5, report.Tables);
        Assert.True(report.SizeBytes > 0);
        Assert.Matches(@"^3\.\d+\.\d+", report.EngineVersion);
        var finding = Assert.Single(report.Findings);
        Assert.Equal((SqliteAssessmentRules.NoPrimaryKey, FindingSeverity.Warning, "activity_log"), (finding.Rule, finding.Severity, finding.Object));
    }

    [Fact]
    public async Task AssessAsync_WithValidationComparingNothing_Warns()
    {
        _scenario.BuildSource();
        IDatabaseProvider provider = _scenario.Provider;

        var off = await provider.AssessAsync(_scenario.Endpoints(), new ValidationOptions(RowCounts: false, Checksums: false));
        var on = await provider.AssessAsync(_scenario.Endpoints(), new ValidationOptions(RowCounts: true, Checksums: false));

        var finding = Assert.Single(off.Findings, f => f.Rule == CommonAssessmentRules.ValidationOff);
        Assert.Equal(FindingSeverity.Warning, finding.Severity);
        Assert.False(off.IsBlocked);
        Assert.DoesNotContain(on.Findings, f => f.Rule == CommonAssessmentRules.ValidationOff);
    }

    [Fact]
    public async Task AssessAsync_MissingSource_IsBlockedBySourceMissing()
    {
        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints());

        Assert.True(report.IsBlocked);
        Assert.Contains(report.Findings, f => f.Rule == SqliteAssessmentRules.SourceMissing && f.Severity == FindingSeverity.Blocking);
    }

    [Fact]
    public async Task AssessAsync_GarbageSource_IsBlockedByIntegrity()
    {
        await File.WriteAllTextAsync(_scenario.SourcePath, new string('x', 8192));

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints());

        var finding = Assert.Single(report.Findings, f => f.Rule == SqliteAssessmentRules.Integrity);
        Assert.Equal(FindingSeverity.Blocking, finding.Severity);
    }

    [Fact]
    public async Task AssessAsync_FullTextTable_MovesAndDoesNotBlock()
    {
        _scenario.BuildSource(new SocialMediaSource().With("CREATE VIRTUAL TABLE post_search USING fts5 (body)"));

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints());

        var finding = Assert.Single(report.Findings, f => f.Rule == SqliteAssessmentRules.VirtualTable);
        Assert.Equal((FindingSeverity.Information, "post_search"), (finding.Severity, finding.Object));
        Assert.False(report.IsBlocked);
    }

    [Fact]
    public async Task AssessAsync_VirtualTableExcludedByTheFilter_IsNotBlocking()
    {
        _scenario.BuildSource(new SocialMediaSource().With("CREATE VIRTUAL TABLE post_search USING fts5 (body)"));

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints(new TableFilter([], ["post_search"])));

        Assert.False(report.IsBlocked);
        Assert.Equal(5, report.Tables); // the FTS shadow tables are not counted as tables of their own
    }

    [Fact]
    public async Task AssessAsync_FilterNamingAnUnknownTable_IsBlocking()
    {
        _scenario.BuildSource();

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints(new TableFilter(["users", "no_such_table"], [])));

        var finding = Assert.Single(report.Findings, f => f.Rule == SqliteAssessmentRules.UnknownTable);
        Assert.Equal((FindingSeverity.Blocking, "no_such_table"), (finding.Severity, finding.Object));
    }

    [Fact]
    public async Task AssessAsync_TargetHoldingOtherTables_IsBlockedByTargetNotEmpty()
    {
        _scenario.BuildSource();
        Directory.CreateDirectory(Path.GetDirectoryName(_scenario.TargetPath)!);
        Db.Execute(_scenario.TargetPath, "CREATE TABLE precious (id INTEGER PRIMARY KEY); INSERT INTO precious VALUES (1);");

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints());

        var finding = Assert.Single(report.Findings, f => f.Rule == SqliteAssessmentRules.TargetNotEmpty);
        Assert.Equal(FindingSeverity.Blocking, finding.Severity);
    }

    [Fact]
    public async Task AssessAsync_PartialTargetOfAnEarlierAttempt_IsInformation()
    {
        _scenario.BuildSource();
        await _scenario.Provider.CopySchemaAsync(_scenario.Endpoints());

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints());

        Assert.False(report.IsBlocked);
        var finding = Assert.Single(report.Findings, f => f.Rule == SqliteAssessmentRules.TargetPartial);
        Assert.Equal(FindingSeverity.Information, finding.Severity);
    }

    [Fact]
    public async Task AssessAsync_FilterThatLeavesAReferencedTableBehind_WarnsAboutForeignKeys()
    {
        _scenario.BuildSource();

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints(new TableFilter([], ["users"])));

        var warned = report.Findings.Where(f => f.Rule == SqliteAssessmentRules.ForeignKeyExcluded).Select(f => f.Object).ToHashSet();
        Assert.Equal(new HashSet<string?> { "posts", "comments", "likes" }, warned);
        Assert.All(report.Findings.Where(f => f.Rule == SqliteAssessmentRules.ForeignKeyExcluded), f => Assert.Equal(FindingSeverity.Warning, f.Severity));
        Assert.False(report.IsBlocked);
    }

    [Fact]
    public async Task AssessAsync_FilterThatMovesAReferencedTableAlone_WarnsAboutTheTablesLeftBehind()
    {
        _scenario.BuildSource();

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints(new TableFilter(["users"], [])));

        Assert.Contains(report.Findings, f => f.Rule == SqliteAssessmentRules.ForeignKeyExcluded && f.Object == "users");
        Assert.Equal(1, report.Tables);
    }

    [Fact]
    public async Task AssessAsync_ViewReadingATableLeftBehind_WarnsThatItStaysBehind()
    {
        _scenario.BuildSource();

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints(new TableFilter([], ["comments"])));

        var finding = Assert.Single(report.Findings, f => f.Rule == SqliteAssessmentRules.DependentExcluded && f.Object == "post_stats");
        Assert.Equal(FindingSeverity.Warning, finding.Severity);
    }

    [Fact]
    public async Task AssessAsync_SourceAndTargetTheSameFile_IsBlocking()
    {
        _scenario.BuildSource();
        var endpoints = _scenario.Endpoints() with { TargetConnection = Db.ConnectionString(_scenario.SourcePath) };

        var report = await _scenario.Provider.AssessAsync(endpoints);

        Assert.Contains(report.Findings, f => f.Rule == SqliteAssessmentRules.SameFile && f.Severity == FindingSeverity.Blocking);
    }
}
