using System.Diagnostics;
using DurableMigration.Manifest;
using DurableMigration.Providers.Sqlite;
using DurableMigration.Providers.Tests.Fixtures;

namespace DurableMigration.Providers.Tests;

/// <summary>Change capture from the copy on, and a sync of exactly the changed rows that does not depend on validation.</summary>
/// <remarks>Every test runs twice: here with table-by-table copies, in the derived class with page copies (see <c>SqlitePageCopyTests.cs</c>).</remarks>
public class SqliteChangeSyncTests : IDisposable
{
    private const string UserObjects = "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_schema WHERE name NOT LIKE 'dmig_readonly_%' ORDER BY type, name";

    private readonly ProviderScenario _scenario;

    public SqliteChangeSyncTests()
        : this(pageCopy: false)
    {
    }

    /// <summary>Runs the tests with every copy page by page (<paramref name="pageCopy"/>) or table by table.</summary>
    protected SqliteChangeSyncTests(bool pageCopy) => _scenario = new(progressBatchRows: 500, pageCopy: pageCopy);

    public void Dispose()
    {
        _scenario.Dispose();
        GC.SuppressFinalize(this);
    }

    public static TheoryData<bool, bool, string> ValidationSettings => new()
    {
        { false, false, "DELETE" },
        { true, false, "DELETE" },
        { false, true, "DELETE" },
        { true, true, "DELETE" },
        { false, false, "WAL" },
        { true, false, "WAL" },
        { false, true, "WAL" },
        { true, true, "WAL" },
    };

    [Theory]
    [MemberData(nameof(ValidationSettings))]
    public async Task EveryAcknowledgedWriteDuringTheCopy_IsInTheTargetAfterSyncChanges_WhateverValidationSays(bool rowCounts, bool checksums, string journalMode)
    {
        var source = new SocialMediaSource().WithRows(users: 400, posts: 3_000, comments: 8_000, likes: 4_000, logEntries: 4_000);
        _scenario.BuildSource(journalMode == "WAL" ? source.InWalMode() : source);
        string before = string.Join("\n", Db.Strings(_scenario.SourcePath, UserObjects));
        var endpoints = _scenario.Endpoints();
        using var writer = new BackgroundWriter(_scenario.SourcePath, pauseMs: 3).Start();
        writer.WaitForCommits(5);

        await _scenario.Provider.CopySchemaAsync(endpoints);
        int atCopyStart = writer.Commits;
        bool waited = false;
        var progress = new CallbackProgress(_ =>
        {
            // In WAL mode the writer can commit while a table is being read: make sure some commits land mid-table.
            if (journalMode == "WAL" && !waited)
            {
                waited = true;
                writer.WaitForCommits(3);
            }
        });
        await _scenario.Provider.CopyDataAsync(endpoints, progress);
        int duringCopy = writer.Commits - atCopyStart;
        writer.WaitForCommits(10);
        await _scenario.Provider.ValidateAsync(endpoints, new ValidationOptions(rowCounts, checksums)); // what the orchestration does; it must not matter
        int failuresBeforeCutover = writer.Failures;
        await _scenario.Provider.MakeSourceReadOnlyAsync(endpoints);
        var result = await _scenario.Provider.SyncChangesAsync(endpoints);
        writer.Stop();

        Assert.True(duringCopy > 0, "the writer committed during the copy");
        Assert.Equal(0, failuresBeforeCutover);
        Assert.True(result.Final);
        Assert.False(result.FullCopy);
        Assert.True(result.ChangedRows > 0);
        Assert.Empty(writer.MissingIn(_scenario.TargetPath));
        var report = await _scenario.Provider.ValidateAsync(endpoints, ProviderScenario.Everything);
        Assert.True(report.Passed, report.Summary);
        Assert.Equal(before, string.Join("\n", Db.Strings(_scenario.SourcePath, UserObjects))); // no capture left behind
    }

    [Fact]
    public async Task SyncChangesAsync_TenChangedRowsOfATenMegabyteSource_WritesOnlyThoseRows()
    {
        _scenario.BuildSource(new SocialMediaSource().With("""
            CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT NOT NULL, payload BLOB NOT NULL);
            WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
            INSERT INTO documents SELECT i, 'document ' || i, randomblob(1000) FROM n;
            """));
        Assert.True(new FileInfo(_scenario.SourcePath).Length > 10_000_000);
        await _scenario.MigrateAsync();
        Db.Execute(_scenario.SourcePath, """
            UPDATE documents SET title = 'edited' WHERE id IN (10, 20, 30, 40);
            INSERT INTO documents VALUES (20001, 'new', x'00'), (20002, 'new', x'01');
            DELETE FROM documents WHERE id IN (50, 60);
            UPDATE likes SET liked_at = 'today' WHERE (user_id, post_id) = (SELECT user_id, post_id FROM likes ORDER BY 1, 2 LIMIT 1);
            INSERT INTO activity_log VALUES ('late', 'entry', 1);
            """);
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        var result = await _scenario.Provider.SyncChangesAsync(_scenario.Endpoints());

        Assert.Equal((10L, 8L, 2L), (result.ChangedRows, result.RowsWritten, result.RowsDeleted));
        Assert.Equal(["activity_log", "documents", "likes"], result.Tables.Select(t => t.Table).Order());
        Assert.All(result.Tables, t => Assert.False(t.Whole));
        Assert.Equal(8, result.Tables.Single(t => t.Table == "documents").ChangedRows);
        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
    }

    [Fact]
    public async Task SyncChangesAsync_WhileTheSourceIsWritable_CatchesUp_ThenTheFinalSyncAppliesOnlyWhatCameSince()
    {
        _scenario.BuildSource();
        await _scenario.MigrateAsync();
        Db.Execute(_scenario.SourcePath, "UPDATE posts SET body = 'first' WHERE id IN (1, 2, 3)");

        var early = await _scenario.Provider.SyncChangesAsync(_scenario.Endpoints());
        Db.Execute(_scenario.SourcePath, "PRAGMA foreign_keys = OFF; UPDATE posts SET body = 'second' WHERE id = 4; UPDATE posts SET id = 9000 WHERE id = 5;");
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());
        var final = await _scenario.Provider.SyncChangesAsync(_scenario.Endpoints());

        Assert.Equal((3L, false), (early.ChangedRows, early.Final));
        Assert.Equal((3L, true), (final.ChangedRows, final.Final)); // post 4, and post 5 moved to 9000: old and new key
        Assert.Equal(0, Db.Count(_scenario.TargetPath, "SELECT count(*) FROM posts WHERE id = 5"));
        Assert.Equal("second", Db.Scalar(_scenario.TargetPath, "SELECT body FROM posts WHERE id = 4"));
        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
        Assert.DoesNotContain("_dmig_changes", Db.Objects(_scenario.SourcePath, "table"));
    }

    [Fact]
    public async Task SyncChangesAsync_Twice_SecondFindsNothingToDo()
    {
        _scenario.BuildSource();
        await _scenario.MigrateAsync();
        Db.Execute(_scenario.SourcePath, "UPDATE users SET karma = 99 WHERE id = 1");
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());
        await _scenario.Provider.SyncChangesAsync(_scenario.Endpoints());

        var again = await _scenario.Provider.SyncChangesAsync(_scenario.Endpoints());

        Assert.Equal((0L, 0L, true, false), (again.ChangedRows, again.RowsWritten, again.Final, again.FullCopy));
    }

    [Fact]
    public async Task SyncChangesAsync_AfterTheSourceWasWritableAgain_CopiesEverythingAgain()
    {
        _scenario.BuildSource();
        await _scenario.MigrateAsync();
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());
        await _scenario.Provider.MakeSourceWritableAsync(_scenario.Endpoints()); // a rollback: writes now go unrecorded
        Db.Execute(_scenario.SourcePath, "UPDATE users SET karma = 42 WHERE id = 2");
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        var result = await _scenario.Provider.SyncChangesAsync(_scenario.Endpoints());

        Assert.True(result.FullCopy);
        Assert.True(result.Final);
        Assert.Equal(42.0, Convert.ToDouble(Db.Scalar(_scenario.TargetPath, "SELECT karma FROM users WHERE id = 2"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
    }

    [Fact]
    public async Task SyncChangesAsync_TableWithoutAReachableRowid_IsSyncedWhole()
    {
        _scenario.BuildSource(new SocialMediaSource().With("CREATE TABLE odd (rowid TEXT, _rowid_ TEXT, oid TEXT); INSERT INTO odd VALUES ('a', 'b', 'c'), ('d', 'e', 'f');"));
        await _scenario.MigrateAsync();
        Db.Execute(_scenario.SourcePath, "INSERT INTO odd VALUES ('g', 'h', 'i'); UPDATE odd SET oid = 'z' WHERE rowid = 'a';");
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        var result = await _scenario.Provider.SyncChangesAsync(_scenario.Endpoints());

        var odd = Assert.Single(result.Tables);
        Assert.Equal(("odd", true), (odd.Table, odd.Whole));
        Assert.Equal(["f", "i", "z"], Db.Strings(_scenario.TargetPath, "SELECT oid FROM odd ORDER BY oid").Order());
    }

    [Fact]
    public async Task SyncChangesAsync_FullTextTablesThatChanged_AreRebuiltAndSearchable()
    {
        _scenario.BuildSource(new SocialMediaSource().With(SqliteVirtualTableTests.VirtualTables));
        await _scenario.MigrateAsync();
        Db.Execute(_scenario.SourcePath, "INSERT INTO posts (id, user_id, body) VALUES (7000, 1, 'zeppelins arrive'); INSERT INTO notes (rowid, title, text) VALUES (9999, 'airship', 'hydrogen');");
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        var result = await _scenario.Provider.SyncChangesAsync(_scenario.Endpoints());

        Assert.Contains(result.Tables, t => t.Table == "post_search" && t.Whole);
        Assert.Contains(result.Tables, t => t.Table == "posts" && !t.Whole && t.ChangedRows == 1);
        Assert.Equal(["7000"], Db.Strings(_scenario.TargetPath, "SELECT rowid FROM post_search WHERE post_search MATCH 'zeppelin'"));
        Assert.Equal(["9999"], Db.Strings(_scenario.TargetPath, "SELECT rowid FROM notes WHERE notes MATCH 'hydrogen'"));
        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
    }

    [Fact]
    public async Task SyncChangesAsync_DoesNotRunTheTargetsTriggers_TheirEffectsComeFromTheSource()
    {
        _scenario.BuildSource();
        await _scenario.MigrateAsync();
        Db.Execute(_scenario.SourcePath, "INSERT INTO comments (id, post_id, user_id, body) VALUES (9100, 2, 1, 'late')"); // the source's trigger counts it on post 2
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        await _scenario.Provider.SyncChangesAsync(_scenario.Endpoints());

        Assert.Equal(Db.Count(_scenario.SourcePath, "SELECT comment_count FROM posts WHERE id = 2"), Db.Count(_scenario.TargetPath, "SELECT comment_count FROM posts WHERE id = 2"));
        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
    }

    [Fact]
    public async Task DropTargetAsync_RemovesTheChangeCapture_TheSourceEndsAsItWas()
    {
        _scenario.BuildSource(new SocialMediaSource().With(SqliteVirtualTableTests.VirtualTables));
        var before = Db.Strings(_scenario.SourcePath, UserObjects);
        await _scenario.MigrateAsync();
        Assert.Contains("_dmig_changes", Db.Objects(_scenario.SourcePath, "table"));

        await _scenario.Provider.DropTargetAsync(_scenario.Endpoints());

        Assert.Equal(before, Db.Strings(_scenario.SourcePath, UserObjects));
    }

    [Fact]
    public async Task MakeSourceWritableAsync_RemovesTheChangeCapture_TheSourceEndsAsItWas()
    {
        _scenario.BuildSource();
        var before = Db.Strings(_scenario.SourcePath, UserObjects);
        await _scenario.MigrateAsync();
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        await _scenario.Provider.MakeSourceWritableAsync(_scenario.Endpoints());

        Assert.Equal(before, Db.Strings(_scenario.SourcePath, UserObjects));
        Assert.DoesNotContain(Db.Objects(_scenario.SourcePath, "trigger"), t => t.StartsWith("dmig_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CopyDataAsync_SourceWithAnOpenWriteTransaction_FailsWithinTheLockTimeoutNamingTheReservedLock()
    {
        _scenario.BuildSource();
        await _scenario.Provider.CopySchemaAsync(_scenario.Endpoints());
        using var holder = Db.Open(_scenario.SourcePath);
        using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE; INSERT INTO activity_log VALUES ('pending', NULL, 0);";
            begin.ExecuteNonQuery();
        }

        var provider = new SqliteDatabaseProvider(options: new SqliteProviderOptions { LockTimeout = TimeSpan.FromSeconds(1) });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<DatabaseLockedException>(() => provider.CopyDataAsync(_scenario.Endpoints(), new RecordingProgress()));

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"gave up after {clock.Elapsed}, before its 1 s lock timeout"); // how soon is the configured timeout's job, not asserted
        Assert.Equal("RESERVED", error.Lock);
        Assert.Contains("an open write transaction on another connection", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SyncChangesAsync_IsAdvertised()
    {
        IDatabaseProvider provider = _scenario.Provider;

        Assert.True(provider.SupportsChangeSync);
    }

    private sealed class CallbackProgress(Action<CopyProgress> report) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value) => report(value);
    }
}
