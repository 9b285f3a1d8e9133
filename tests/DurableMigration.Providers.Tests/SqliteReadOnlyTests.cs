using DurableMigration.Providers.Sqlite;
using DurableMigration.Providers.Tests.Fixtures;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Tests;

/// <remarks>Every test runs twice: here with table-by-table copies, in the derived class with page copies (see <c>SqlitePageCopyTests.cs</c>).</remarks>
public class SqliteReadOnlyTests : IDisposable
{
    private readonly ProviderScenario _scenario;

    public SqliteReadOnlyTests()
        : this(pageCopy: false)
    {
    }

    /// <summary>Runs the tests with every copy page by page (<paramref name="pageCopy"/>) or table by table.</summary>
    protected SqliteReadOnlyTests(bool pageCopy)
    {
        _scenario = new(pageCopy: pageCopy);
        _scenario.BuildSource();
    }

    public void Dispose()
    {
        _scenario.Dispose();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData("INSERT INTO users (id, handle, created_at) VALUES (1000, 'late', 'now')")]
    [InlineData("UPDATE posts SET body = 'edited' WHERE id = 1")]
    [InlineData("DELETE FROM likes")]
    [InlineData("INSERT INTO activity_log VALUES ('late', NULL, 0)")]
    public async Task MakeSourceReadOnlyAsync_BlocksWritesWithTheReadOnlyMessage(string write)
    {
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        var error = Assert.Throws<SqliteException>(() => Db.Execute(_scenario.SourcePath, write));

        Assert.Contains(SqliteDatabaseProvider.ReadOnlyMessage, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MakeSourceReadOnlyAsync_CreatesThreeNamedTriggersPerTable()
    {
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        var triggers = Db.Objects(_scenario.SourcePath, "trigger").Where(t => t.StartsWith(SqliteDatabaseProvider.ReadOnlyTriggerPrefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(SocialMediaSource.Tables.Length * 3, triggers.Count);
        Assert.Contains("dmig_readonly_users_insert", triggers);
        Assert.Contains("dmig_readonly_users_update", triggers);
        Assert.Contains("dmig_readonly_users_delete", triggers);
    }

    [Fact]
    public async Task MakeSourceReadOnlyAsync_Twice_IsIdempotent()
    {
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());
        var once = Db.Objects(_scenario.SourcePath, "trigger");

        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        Assert.Equal(once, Db.Objects(_scenario.SourcePath, "trigger"));
    }

    [Fact]
    public async Task MakeSourceReadOnlyAsync_LeavesReadsAlone()
    {
        long before = Db.Count(_scenario.SourcePath, "SELECT count(*) FROM posts");

        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        Assert.Equal(before, Db.Count(_scenario.SourcePath, "SELECT count(*) FROM posts"));
    }

    [Fact]
    public async Task MakeSourceWritableAsync_RestoresWrites()
    {
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        await _scenario.Provider.MakeSourceWritableAsync(_scenario.Endpoints());

        Assert.Equal(1, Db.Execute(_scenario.SourcePath, "UPDATE posts SET body = 'edited' WHERE id = 1"));
        Assert.Equal(["comments_count"], Db.Objects(_scenario.SourcePath, "trigger"));
    }

    [Fact]
    public async Task MakeSourceWritableAsync_OnAWritableSource_IsIdempotent()
    {
        await _scenario.Provider.MakeSourceWritableAsync(_scenario.Endpoints());
        await _scenario.Provider.MakeSourceWritableAsync(_scenario.Endpoints());

        Assert.Equal(["comments_count"], Db.Objects(_scenario.SourcePath, "trigger"));
    }

    [Fact]
    public async Task MakeSourceReadOnlyAsync_SourceWithAFullTextTable_BlocksWritesThroughItToo()
    {
        Db.Execute(_scenario.SourcePath, "CREATE VIRTUAL TABLE post_search USING fts5 (body); INSERT INTO post_search VALUES ('hello');");

        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        // The module reports the shadow table's refusal in its own words ("constraint failed"), not the trigger's.
        Assert.Throws<SqliteException>(() => Db.Execute(_scenario.SourcePath, "INSERT INTO post_search VALUES ('late')"));
        Assert.Equal(1, Db.Count(_scenario.SourcePath, "SELECT count(*) FROM post_search"));
    }

    [Fact]
    public async Task CopyOfAReadOnlySource_LeavesTheReadOnlyTriggersBehind()
    {
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        await _scenario.MigrateAsync();

        Assert.Equal(["comments_count"], Db.Objects(_scenario.TargetPath, "trigger"));
    }
}
