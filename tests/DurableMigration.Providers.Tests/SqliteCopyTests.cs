using DurableMigration.Manifest;
using DurableMigration.Providers.Sqlite;
using DurableMigration.Providers.Tests.Fixtures;

namespace DurableMigration.Providers.Tests;

/// <remarks>Every test runs twice: here with table-by-table copies, in the derived class with page copies (see <c>SqlitePageCopyTests.cs</c>).</remarks>
public class SqliteCopyTests : IDisposable
{
    private readonly ProviderScenario _scenario;

    public SqliteCopyTests()
        : this(pageCopy: false)
    {
    }

    /// <summary>Runs the tests with every copy page by page (<paramref name="pageCopy"/>) or table by table.</summary>
    protected SqliteCopyTests(bool pageCopy) => _scenario = new(progressBatchRows: 25, pageCopy: pageCopy);

    public void Dispose()
    {
        _scenario.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task CopySchemaAsync_CreatesTablesAndViews_AndCountsEveryObjectTheTargetWillHave()
    {
        _scenario.BuildSource();

        var result = await _scenario.Provider.CopySchemaAsync(_scenario.Endpoints());

        Assert.Equal(new SchemaCopyResult(Tables: 5, Indexes: 3, Views: 1, Triggers: 1), result);
        Assert.Equal([.. SocialMediaSource.Tables.Append(SqliteDatabaseProvider.MarkerTable).Order()], Db.Objects(_scenario.TargetPath, "table"));
        Assert.Equal(["post_stats"], Db.Objects(_scenario.TargetPath, "view"));
        Assert.Empty(Db.Objects(_scenario.TargetPath, "index")); // they come with the data
        Assert.Empty(Db.Objects(_scenario.TargetPath, "trigger"));
    }

    [Fact]
    public async Task CopySchemaAsync_CreatesTablesExactlyAsTheSourceDeclaresThem()
    {
        _scenario.BuildSource();

        await _scenario.Provider.CopySchemaAsync(_scenario.Endpoints());

        const string sql = "SELECT sql FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' AND name <> '_dmig_migration' ORDER BY name";
        Assert.Equal(Db.Strings(_scenario.SourcePath, sql), Db.Strings(_scenario.TargetPath, sql));
    }

    [Fact]
    public async Task CopySchemaAsync_TargetHoldingOtherTables_RefusesNonRetriably()
    {
        _scenario.BuildSource();
        Directory.CreateDirectory(Path.GetDirectoryName(_scenario.TargetPath)!);
        Db.Execute(_scenario.TargetPath, "CREATE TABLE precious (id INTEGER PRIMARY KEY); INSERT INTO precious VALUES (1);");

        var error = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _scenario.Provider.CopySchemaAsync(_scenario.Endpoints()));

        Assert.Contains("target.db", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Db.Count(_scenario.TargetPath, "SELECT count(*) FROM precious"));
    }

    [Fact]
    public async Task CopySchemaAsync_SourceWithAVirtualTableOfAMissingModule_RefusesNonRetriably()
    {
        _scenario.BuildSource(new SocialMediaSource().With("PRAGMA writable_schema = ON; INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql) VALUES ('table', 'spatial', 'spatial', 0, 'CREATE VIRTUAL TABLE spatial USING nosuchmodule (a)'); PRAGMA writable_schema = OFF;"));

        await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _scenario.Provider.CopySchemaAsync(_scenario.Endpoints()));
    }

    [Fact]
    public async Task SchemaAndDataCopy_ProduceATargetThatValidationPasses_WithViewsIndexesAndTriggers()
    {
        _scenario.BuildSource();

        var result = await _scenario.MigrateAsync();
        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.True(report.Passed, string.Join("; ", report.Tables.Where(t => !t.Matches).Select(t => t.Table).Concat(report.MissingInTarget)));
        Assert.Equal(Db.Objects(_scenario.SourcePath, "index"), Db.Objects(_scenario.TargetPath, "index"));
        Assert.Equal(Db.Objects(_scenario.SourcePath, "trigger").Where(t => !t.StartsWith("dmig_capture_", StringComparison.Ordinal)), Db.Objects(_scenario.TargetPath, "trigger")); // the copy left its change capture on the source
        Assert.Equal(Db.Objects(_scenario.SourcePath, "view"), Db.Objects(_scenario.TargetPath, "view"));
        Assert.Equal(SocialMediaSource.Tables, result.Tables.Select(t => t.Table));
        Assert.Equal(result.Tables.Sum(t => t.Rows), result.Rows);
        Assert.True(result.Bytes > 0);
    }

    [Fact]
    public async Task CopyDataAsync_DoesNotFireTriggersOnCopiedRows()
    {
        _scenario.BuildSource();

        await _scenario.MigrateAsync();

        const string counts = "SELECT group_concat(comment_count) FROM (SELECT comment_count FROM posts ORDER BY id)";
        Assert.Equal(Db.Scalar(_scenario.SourcePath, counts), Db.Scalar(_scenario.TargetPath, counts));
    }

    [Fact]
    public async Task CopyDataAsync_CopiedTriggersWorkAfterwards()
    {
        _scenario.BuildSource();
        await _scenario.MigrateAsync();

        Db.Execute(_scenario.TargetPath, "INSERT INTO comments (id, post_id, user_id, body) VALUES (100000, 1, 1, 'new')");

        Assert.Equal(
            Db.Count(_scenario.SourcePath, "SELECT comment_count FROM posts WHERE id = 1") + 1,
            Db.Count(_scenario.TargetPath, "SELECT comment_count FROM posts WHERE id = 1"));
    }

    [Fact]
    public async Task CopyDataAsync_ReportsGrowingProgressEndingAtTheTotal()
    {
        _scenario.BuildSource();
        var progress = new RecordingProgress();

        var result = await _scenario.MigrateAsync(progress: progress);

        var reports = progress.Reports;
        Assert.True(reports.Count > SocialMediaSource.Tables.Length, $"only {reports.Count} reports"); // batches inside tables, not only table ends
        Assert.All(reports.Zip(reports.Skip(1)), pair =>
        {
            Assert.True(pair.Second.RowsCopied >= pair.First.RowsCopied);
            Assert.True(pair.Second.BytesCopied >= pair.First.BytesCopied);
        });
        Assert.All(reports, r => Assert.InRange(r.RowsCopied, 0, r.RowsTotal));
        Assert.Equal(result.Rows, reports[^1].RowsCopied);
        Assert.Equal(result.Rows, reports[^1].RowsTotal);
        Assert.Equal(result.Bytes, reports[^1].BytesCopied);
    }

    [Fact]
    public async Task CopyDataAsync_RunTwice_LeavesTheSameValidTarget()
    {
        _scenario.BuildSource();
        var first = await _scenario.MigrateAsync();

        var second = await _scenario.Provider.CopyDataAsync(_scenario.Endpoints(), new RecordingProgress());
        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.Equal(first.Tables, second.Tables);
        Assert.True(report.Passed);
    }

    [Fact]
    public async Task CopyDataAsync_OnATargetWithLeftoverRows_StartsAgainFromScratch()
    {
        _scenario.BuildSource();
        await _scenario.Provider.CopySchemaAsync(_scenario.Endpoints());
        Db.Execute(_scenario.TargetPath, "INSERT INTO users (id, handle, created_at) VALUES (1, 'user1', 'x'), (99999, 'stray', 'x')");

        await _scenario.Provider.CopyDataAsync(_scenario.Endpoints(), new RecordingProgress());

        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
        Assert.Equal(0, Db.Count(_scenario.TargetPath, "SELECT count(*) FROM users WHERE handle = 'stray'"));
    }

    [Fact]
    public async Task CopyDataAsync_WithoutASchemaCopyFirst_BuildsTheWholeTarget()
    {
        _scenario.BuildSource();

        await _scenario.Provider.CopyDataAsync(_scenario.Endpoints(), new RecordingProgress());

        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
    }

    [Fact]
    public async Task CopyDataAsync_KeepsRowidsOfTablesWithoutIntegerPrimaryKey()
    {
        _scenario.BuildSource();

        await _scenario.MigrateAsync();

        const string rowids = "SELECT group_concat(rowid) FROM (SELECT rowid FROM activity_log ORDER BY rowid)";
        Assert.Equal(Db.Scalar(_scenario.SourcePath, rowids), Db.Scalar(_scenario.TargetPath, rowids));
    }

    [Fact]
    public async Task CopyDataAsync_KeepsRowidsOfIndexedTablesWithoutIntegerPrimaryKey()
    {
        _scenario.BuildSource(new SocialMediaSource().With("""
            CREATE TABLE tags (name TEXT NOT NULL UNIQUE, uses INTEGER);
            INSERT INTO tags VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4);
            DELETE FROM tags WHERE name = 'b';
            """));

        await _scenario.MigrateAsync();

        const string rowids = "SELECT group_concat(rowid || name) FROM (SELECT rowid, name FROM tags ORDER BY rowid)";
        Assert.Equal("1a,3c,4d", Db.Scalar(_scenario.TargetPath, rowids));
    }

    [Fact]
    public async Task CopyDataAsync_KeepsAutoincrementCountersAndUserVersion()
    {
        _scenario.BuildSource();

        await _scenario.MigrateAsync();

        const string counter = "SELECT seq FROM sqlite_sequence WHERE name = 'posts'";
        Assert.Equal(Db.Count(_scenario.SourcePath, counter), Db.Count(_scenario.TargetPath, counter));
        Assert.True(Db.Count(_scenario.TargetPath, counter) > Db.Count(_scenario.TargetPath, "SELECT max(id) FROM posts"));
        Assert.Equal(7, Db.Count(_scenario.TargetPath, "PRAGMA user_version"));
    }

    [Fact]
    public async Task CopyDataAsync_CopiesAnalyzeStatistics()
    {
        _scenario.BuildSource();

        await _scenario.MigrateAsync();

        const string stats = "SELECT group_concat(tbl || '/' || coalesce(idx, '') || '=' || stat, ';') FROM (SELECT * FROM sqlite_stat1 ORDER BY tbl, idx)";
        Assert.Equal(Db.Scalar(_scenario.SourcePath, stats), Db.Scalar(_scenario.TargetPath, stats));
    }

    [Theory]
    [InlineData("DELETE", "delete")]
    [InlineData("WAL", "wal")]
    public async Task CopyDataAsync_LeavesTheTargetInTheSourcesDurableJournalMode(string sourceMode, string expected)
    {
        var source = new SocialMediaSource();
        _scenario.BuildSource(sourceMode == "WAL" ? source.InWalMode() : source);

        await _scenario.MigrateAsync();

        Assert.Equal(expected, Db.Scalar(_scenario.TargetPath, "PRAGMA journal_mode"));
        Assert.Equal("copied", Db.Scalar(_scenario.TargetPath, "SELECT state FROM _dmig_migration"));
        Assert.Equal("ok", Db.Scalar(_scenario.TargetPath, "PRAGMA integrity_check"));
    }

    [Fact]
    public async Task CopyDataAsync_TableWithAGeneratedColumn_CopiesStoredValues()
    {
        _scenario.BuildSource(new SocialMediaSource().With("""
            CREATE TABLE prices (id INTEGER PRIMARY KEY, net REAL, gross REAL GENERATED ALWAYS AS (net * 1.2) STORED);
            INSERT INTO prices (id, net) VALUES (1, 10), (2, 20.5), (3, NULL);
            """));

        await _scenario.MigrateAsync();

        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
        Assert.Equal(24.6, Convert.ToDouble(Db.Scalar(_scenario.TargetPath, "SELECT gross FROM prices WHERE id = 2"), System.Globalization.CultureInfo.InvariantCulture), 6);
    }

    [Fact]
    public async Task TableFilterInclude_MovesOnlyTheNamedTables()
    {
        _scenario.BuildSource();
        var filter = new TableFilter(["users", "posts"], []);

        var result = await _scenario.MigrateAsync(filter);
        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(filter), ProviderScenario.Everything);

        Assert.Equal(["posts", "users"], result.Tables.Select(t => t.Table).Order());
        Assert.Equal(["_dmig_migration", "posts", "users"], Db.Objects(_scenario.TargetPath, "table"));
        Assert.Empty(Db.Objects(_scenario.TargetPath, "view")); // post_stats reads comments, which stays behind
        Assert.Equal(["ix_posts_user"], Db.Objects(_scenario.TargetPath, "index"));
        Assert.True(report.Passed);
    }

    [Fact]
    public async Task TableFilterExclude_LeavesTheNamedTablesBehind()
    {
        _scenario.BuildSource();
        var filter = new TableFilter([], ["activity_log", "LIKES"]);

        await _scenario.MigrateAsync(filter);
        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(filter), ProviderScenario.Everything);

        Assert.Equal(["_dmig_migration", "comments", "posts", "users"], Db.Objects(_scenario.TargetPath, "table"));
        Assert.Equal(["post_stats"], Db.Objects(_scenario.TargetPath, "view"));
        Assert.Equal(["ix_comments_post", "ix_posts_user"], Db.Objects(_scenario.TargetPath, "index"));
        Assert.True(report.Passed);
    }

    [Fact]
    public async Task CopyDataAsync_FailingProgressConsumer_FailsTheCopyWithItsError()
    {
        _scenario.BuildSource();
        await _scenario.Provider.CopySchemaAsync(_scenario.Endpoints());

        await Assert.ThrowsAsync<TimeoutException>(() => _scenario.Provider.CopyDataAsync(_scenario.Endpoints(), new ThrowingProgress()));
    }

    [Fact]
    public async Task CopyDataAsync_CancelledToken_Throws()
    {
        _scenario.BuildSource();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _scenario.Provider.CopyDataAsync(_scenario.Endpoints(), new RecordingProgress(), cancelled.Token));
    }

    [Fact]
    public async Task CopyDataAsync_CancelledDuringATable_StopsAndALaterCopyStillSucceeds()
    {
        _scenario.BuildSource();
        await _scenario.Provider.CopySchemaAsync(_scenario.Endpoints());
        using var cancellation = new CancellationTokenSource();
        var cancelOnFirstReport = new CallbackProgress(_ => cancellation.Cancel());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _scenario.Provider.CopyDataAsync(_scenario.Endpoints(), cancelOnFirstReport, cancellation.Token));
        Assert.Equal("copying", Db.Scalar(_scenario.TargetPath, "SELECT state FROM _dmig_migration"));

        await _scenario.Provider.CopyDataAsync(_scenario.Endpoints(), new RecordingProgress());
        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
    }

    private sealed class CallbackProgress(Action<CopyProgress> report) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value) => report(value);
    }

    private sealed class ThrowingProgress : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value) => throw new TimeoutException("the progress store is down");
    }
}
