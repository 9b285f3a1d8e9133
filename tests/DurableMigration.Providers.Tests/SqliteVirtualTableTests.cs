using DurableMigration.Manifest;
using DurableMigration.Providers.Sqlite;
using DurableMigration.Providers.Tests.Fixtures;

namespace DurableMigration.Providers.Tests;

/// <summary>FTS5, FTS4, R*Tree and Geopoly tables move when the SQLite here has their module; only a missing module blocks.</summary>
/// <remarks>Every test runs twice: here with table-by-table copies, in the derived class with page copies (see <c>SqlitePageCopyTests.cs</c>).</remarks>
public class SqliteVirtualTableTests : IDisposable
{
    /// <summary>Full-text search over posts kept up to date by triggers (external content), a regular FTS5 and FTS4 table, a contentless one, an R*Tree, a Geopoly table and an fts5vocab view.</summary>
    public const string VirtualTables = """
        CREATE VIRTUAL TABLE post_search USING fts5 (body, content = 'posts', content_rowid = 'id', tokenize = 'porter unicode61');
        INSERT INTO post_search (post_search) VALUES ('rebuild');
        CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN INSERT INTO post_search (rowid, body) VALUES (new.id, new.body); END;
        CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN INSERT INTO post_search (post_search, rowid, body) VALUES ('delete', old.id, old.body); END;
        CREATE TRIGGER posts_search_update AFTER UPDATE ON posts BEGIN INSERT INTO post_search (post_search, rowid, body) VALUES ('delete', old.id, old.body); INSERT INTO post_search (rowid, body) VALUES (new.id, new.body); END;
        CREATE VIRTUAL TABLE notes USING fts5 (title, text);
        INSERT INTO notes (rowid, title, text) SELECT id * 3, 'note ' || id, body FROM posts WHERE id % 4 = 0;
        CREATE VIRTUAL TABLE handles USING fts4 (handle, email);
        INSERT INTO handles (docid, handle, email) SELECT id, handle, email FROM users;
        CREATE VIRTUAL TABLE comment_words USING fts5 (body, content = '');
        INSERT INTO comment_words (rowid, body) SELECT id, body FROM comments WHERE body IS NOT NULL;
        CREATE VIRTUAL TABLE places USING rtree (id, min_x, max_x, min_y, max_y, +label);
        INSERT INTO places SELECT id, id, id + 1.5, -id, -id + 2, 'place ' || id FROM users;
        CREATE VIRTUAL TABLE areas USING geopoly (name);
        INSERT INTO areas (_shape, name) VALUES ('[[0,0],[1,0],[0.5,1],[0,0]]', 'triangle'), ('[[0,0],[2,0],[2,2],[0,2],[0,0]]', 'square');
        CREATE VIRTUAL TABLE note_terms USING fts5vocab (notes, 'row');
        """;

    private readonly ProviderScenario _scenario;

    public SqliteVirtualTableTests()
        : this(pageCopy: false)
    {
    }

    /// <summary>Runs the tests with every copy page by page (<paramref name="pageCopy"/>) or table by table.</summary>
    protected SqliteVirtualTableTests(bool pageCopy) => _scenario = new(pageCopy: pageCopy);

    public void Dispose()
    {
        _scenario.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void BundledSqlite_HasTheModulesThisProviderMoves()
    {
        var modules = Db.Strings(":memory:", "SELECT name FROM pragma_module_list");

        Assert.Subset(modules.ToHashSet(), new HashSet<string> { "fts4", "fts5", "fts5vocab", "rtree", "geopoly" });
    }

    [Fact]
    public async Task AssessAsync_VirtualTablesWhoseModuleExists_AreInformationNotBlocking()
    {
        _scenario.BuildSource(new SocialMediaSource().With(VirtualTables));

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints());

        Assert.False(report.IsBlocked, string.Join("; ", report.Findings.Select(f => f.Message)));
        var moving = report.Findings.Where(f => f.Rule == SqliteAssessmentRules.VirtualTable).ToList();
        Assert.All(moving, f => Assert.Equal(FindingSeverity.Information, f.Severity));
        Assert.Equal(["areas", "comment_words", "handles", "note_terms", "notes", "places", "post_search"], moving.Select(f => f.Object).Order());
        Assert.Equal(5 + 7, report.Tables);
    }

    [Fact]
    public async Task AssessAndCopy_VirtualTableWhoseModuleIsMissing_AreBlocked()
    {
        _scenario.BuildSource(new SocialMediaSource().With(MissingModule));

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints());
        var error = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _scenario.Provider.CopySchemaAsync(_scenario.Endpoints()));

        var finding = Assert.Single(report.Findings, f => f.Rule == SqliteAssessmentRules.VirtualTable);
        Assert.Equal((FindingSeverity.Blocking, "spatial"), (finding.Severity, finding.Object));
        Assert.Contains("its module 'nosuchmodule' is not available", finding.Message, StringComparison.Ordinal);
        Assert.Contains("spatial", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AssessAsync_VirtualTableWhoseTokenizerIsMissing_IsBlocked()
    {
        _scenario.BuildSource(new SocialMediaSource().With("""
            PRAGMA writable_schema = ON;
            INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql) VALUES ('table', 'custom_search', 'custom_search', 0, 'CREATE VIRTUAL TABLE custom_search USING fts5 (body, tokenize = ''icu_th'')');
            PRAGMA writable_schema = OFF;
            """));

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints());

        var finding = Assert.Single(report.Findings, f => f.Rule == SqliteAssessmentRules.VirtualTable && f.Severity == FindingSeverity.Blocking);
        Assert.Contains("no such tokenizer", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AssessAsync_MissingModuleExcludedByTheFilter_IsNotBlocking()
    {
        _scenario.BuildSource(new SocialMediaSource().With(MissingModule));

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints(new TableFilter([], ["spatial"])));

        Assert.False(report.IsBlocked);
    }

    [Fact]
    public async Task Migration_MovesEveryVirtualTable_SearchableAsInTheSource_AndValidationComparesTheirContent()
    {
        _scenario.BuildSource(new SocialMediaSource().With(VirtualTables));

        var schema = await _scenario.Provider.CopySchemaAsync(_scenario.Endpoints());
        var data = await _scenario.Provider.CopyDataAsync(_scenario.Endpoints(), new RecordingProgress());
        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.Equal(5 + 7, schema.Tables);
        Assert.True(report.Passed, report.Summary);
        Assert.Equal(5 + 6, report.ComparedTables); // note_terms reads notes: nothing of its own to compare
        Assert.DoesNotContain(report.Tables, t => t.Table.EndsWith("_data", StringComparison.Ordinal) || t.Table.EndsWith("_node", StringComparison.Ordinal));
        Assert.Contains(data.Tables, t => t.Table == "post_search" && t.Rows == Db.Count(_scenario.SourcePath, "SELECT count(*) FROM posts"));
        foreach (string query in SameAnswers)
        {
            Assert.Equal(Db.Strings(_scenario.SourcePath, query), Db.Strings(_scenario.TargetPath, query));
        }

        foreach (string table in new[] { "post_search", "notes", "comment_words" })
        {
            Db.Execute(_scenario.TargetPath, $"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)");
        }

        Assert.Equal("ok", Db.Scalar(_scenario.TargetPath, "PRAGMA integrity_check"));
    }

    [Fact]
    public async Task Migration_FullTextSyncTriggersKeepWorkingInTheTarget()
    {
        _scenario.BuildSource(new SocialMediaSource().With(VirtualTables));
        await _scenario.MigrateAsync();

        Db.Execute(_scenario.TargetPath, "INSERT INTO posts (id, user_id, body) VALUES (5000, 1, 'zeppelins over the harbour'); UPDATE posts SET body = 'airships' WHERE id = 1;");

        Assert.Equal(["5000"], Db.Strings(_scenario.TargetPath, "SELECT rowid FROM post_search WHERE post_search MATCH 'zeppelin'"));
        Assert.Equal(["1"], Db.Strings(_scenario.TargetPath, "SELECT rowid FROM post_search WHERE post_search MATCH 'airships'"));
    }

    [Fact]
    public async Task ValidateAsync_FullTextDocumentChangedInTheTarget_ReportsTheVirtualTable()
    {
        _scenario.BuildSource(new SocialMediaSource().With(VirtualTables));
        await _scenario.MigrateAsync();
        Db.Execute(_scenario.TargetPath, "UPDATE notes SET text = 'edited' WHERE rowid = 12");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.Equal("notes", Assert.Single(report.Tables, t => !t.Matches).Table);
    }

    [Fact]
    public async Task ExcludingTheFullTextTable_LeavesItsSyncTriggersBehind_AndAssessmentNamesThem()
    {
        _scenario.BuildSource(new SocialMediaSource().With(VirtualTables));
        var filter = new TableFilter([], ["post_search"]);

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints(filter));
        await _scenario.MigrateAsync(filter);

        Assert.Equal(
            ["posts_search_delete", "posts_search_insert", "posts_search_update"],
            report.Findings.Where(f => f.Rule == SqliteAssessmentRules.DependentExcluded).Select(f => f.Object).Order());
        Assert.DoesNotContain("post_search", Db.Objects(_scenario.TargetPath, "table"));
        Assert.DoesNotContain(Db.Objects(_scenario.TargetPath, "trigger"), t => t.StartsWith("posts_search", StringComparison.Ordinal));
        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(filter), ProviderScenario.Everything)).Passed);
        Db.Execute(_scenario.TargetPath, "INSERT INTO posts (id, user_id, body) VALUES (5000, 1, 'still writable')"); // no dangling trigger fails it
    }

    [Fact]
    public async Task ExcludingTheContentTable_LeavesItsFullTextTableBehindToo()
    {
        _scenario.BuildSource(new SocialMediaSource().With(VirtualTables));
        var filter = new TableFilter([], ["posts", "comments", "likes"]);

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints(filter));
        await _scenario.MigrateAsync(filter);

        Assert.Contains(report.Findings, f => f.Rule == SqliteAssessmentRules.DependentExcluded && f.Object == "post_search");
        Assert.DoesNotContain("post_search", Db.Objects(_scenario.TargetPath, "table"));
        Assert.Contains("notes", Db.Objects(_scenario.TargetPath, "table"));
    }

    private const string MissingModule = """
        PRAGMA writable_schema = ON;
        INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql) VALUES ('table', 'spatial', 'spatial', 0, 'CREATE VIRTUAL TABLE spatial USING nosuchmodule (a, b)');
        PRAGMA writable_schema = OFF;
        """;

    private static readonly string[] SameAnswers =
    [
        "SELECT rowid FROM post_search WHERE post_search MATCH 'migration' ORDER BY rowid",
        "SELECT rowid, highlight(post_search, 0, '[', ']') FROM post_search WHERE post_search MATCH 'post' ORDER BY rank, rowid LIMIT 5",
        "SELECT rowid, title FROM notes WHERE notes MATCH 'migrations' ORDER BY rowid",
        "SELECT docid FROM handles WHERE handles MATCH 'user1*' ORDER BY docid",
        "SELECT rowid FROM comment_words WHERE comment_words MATCH 'comment' ORDER BY rowid",
        "SELECT id, label FROM places WHERE min_x >= 5 AND max_x <= 12 ORDER BY id",
        "SELECT name FROM areas WHERE geopoly_contains_point(_shape, 0.5, 0.2) ORDER BY name",
        "SELECT term, doc, cnt FROM note_terms ORDER BY term",
    ];
}
