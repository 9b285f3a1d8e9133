using DurableMigration.Providers.Sqlite;
using DurableMigration.Providers.Tests.Fixtures;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask;

namespace DurableMigration.Providers.Tests;

/// <summary>Rollback after cutover never discards writes silently: the target's baseline, its changes, copy-back and backup (issue 13, finding 3).</summary>
public sealed class SqliteRollbackAfterCutoverTests : IDisposable
{
    private const string UserObjects = "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_schema ORDER BY type, name";

    private readonly ProviderScenario _scenario = new();

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public async Task GetTargetChangesAsync_FiftyRowsInsertedIntoTheTargetAfterCutover_ReportsThem()
    {
        await CutOverAsync();
        Assert.Equal(TargetChangeState.Unchanged, (await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints())).State);

        Db.Execute(_scenario.TargetPath, "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) INSERT INTO users (id, handle, created_at) SELECT 5000 + i, 'after' || i, 'now' FROM n");
        var changes = await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints());

        Assert.Equal(TargetChangeState.Changed, changes.State);
        Assert.True(changes.MayHaveChanged);
        Assert.Equal(50, changes.ChangedRows);
        Assert.Equal(new TargetTableChanges("users", 50, Whole: false), Assert.Single(changes.Tables));
        Assert.Equal("changed since cutover: 50 row(s) in 1 table(s) (users 50)", changes.Summary);
    }

    [Fact]
    public async Task GetTargetChangesAsync_CountsDistinctKeysPerTable()
    {
        await CutOverAsync();

        Db.Execute(_scenario.TargetPath, """
            UPDATE posts SET body = 'edited' WHERE id IN (1, 2);
            UPDATE posts SET body = 'edited again' WHERE id = 1;
            DELETE FROM likes WHERE (user_id, post_id) = (SELECT user_id, post_id FROM likes ORDER BY 1, 2 LIMIT 1);
            INSERT INTO activity_log VALUES ('late', 'entry', 1);
            INSERT INTO comments (id, post_id, user_id, body) VALUES (9001, 3, 1, 'new');
            """);
        var changes = await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints());

        Assert.Equal(TargetChangeState.Changed, changes.State);
        var tables = changes.Tables.ToDictionary(t => t.Table);
        Assert.Equal(new TargetTableChanges("posts", 3, false), tables["posts"]); // 1 and 2, and 3 by the comment's trigger
        Assert.Equal(new TargetTableChanges("likes", 1, false), tables["likes"]);
        Assert.Equal(new TargetTableChanges("activity_log", 1, false), tables["activity_log"]); // no primary key, but a rowid
        Assert.Equal(new TargetTableChanges("comments", 1, false), tables["comments"]);
        Assert.Equal(4, tables.Count);
    }

    [Fact]
    public async Task GetTargetChangesAsync_WithoutBaseline_IsUnknown_AndWithoutTarget_IsNoTarget()
    {
        _scenario.BuildSource();
        await _scenario.MigrateAsync();

        var unknown = await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints());
        await _scenario.Provider.DropTargetAsync(_scenario.Endpoints());
        var none = await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints());

        Assert.Equal(TargetChangeState.Unknown, unknown.State);
        Assert.True(unknown.MayHaveChanged);
        Assert.Contains("no baseline", unknown.Reason, StringComparison.Ordinal);
        Assert.Equal(TargetChangeState.NoTarget, none.State);
        Assert.False(none.MayHaveChanged);
    }

    [Fact]
    public async Task RecordTargetBaselineAsync_Twice_KeepsTheFirstAndWhatItRecorded()
    {
        await CutOverAsync();
        var first = await _scenario.Provider.RecordTargetBaselineAsync(_scenario.Endpoints()); // CutOverAsync recorded one already
        Db.Execute(_scenario.TargetPath, "UPDATE users SET karma = 1 WHERE id = 1");

        var again = await _scenario.Provider.RecordTargetBaselineAsync(_scenario.Endpoints());

        Assert.True(first.Recorded);
        Assert.True(again.AlreadyRecorded);
        Assert.Equal(first.Id, again.Id);
        Assert.Equal(5, again.Tables);
        Assert.Equal(Db.Count(_scenario.TargetPath, "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM posts) + (SELECT count(*) FROM comments) + (SELECT count(*) FROM likes) + (SELECT count(*) FROM activity_log)"), again.Rows);
        Assert.Equal(1, (await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints())).ChangedRows);
    }

    [Fact]
    public async Task RecordTargetBaselineAsync_UnfinishedTarget_IsRefusedNonRetriably()
    {
        _scenario.BuildSource();
        await _scenario.Provider.CopySchemaAsync(_scenario.Endpoints());

        var error = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _scenario.Provider.RecordTargetBaselineAsync(_scenario.Endpoints()));

        Assert.Contains("its copy is not finished", error.Message, StringComparison.Ordinal);
        Assert.True(TaskFailureDetails.FromException(error).IsNonRetriable());
    }

    [Fact]
    public async Task Baseline_RecordedBeforeTheFinalSync_DoesNotRecordTheMigrationsOwnWrites_AndKeepsApplicationTriggersWorking()
    {
        _scenario.BuildSource();
        await _scenario.MigrateAsync();
        await _scenario.Provider.RecordTargetBaselineAsync(_scenario.Endpoints());
        Db.Execute(_scenario.SourcePath, "UPDATE users SET karma = 5 WHERE id < 10; INSERT INTO comments (id, post_id, user_id, body) VALUES (8000, 1, 1, 'late');");
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());
        await _scenario.Provider.SyncChangesAsync(_scenario.Endpoints());

        var afterSync = await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints());
        long before = Db.Count(_scenario.TargetPath, "SELECT comment_count FROM posts WHERE id = 2");
        Db.Execute(_scenario.TargetPath, "INSERT INTO comments (id, post_id, user_id, body) VALUES (8001, 2, 1, 'app')");

        Assert.Equal(TargetChangeState.Unchanged, afterSync.State);
        Assert.Equal(before + 1, Db.Count(_scenario.TargetPath, "SELECT comment_count FROM posts WHERE id = 2"));
        Assert.Equal(["comments", "posts"], (await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints())).Tables.Select(t => t.Table).Order());
    }

    [Theory]
    [InlineData("DELETE")]
    [InlineData("WAL")]
    public async Task CopyBackAsync_WithAnApplicationWritingToTheTarget_EveryAcknowledgedWriteIsInTheSource(string journalMode)
    {
        var source = new SocialMediaSource().WithRows(users: 300, posts: 2_000, comments: 4_000, likes: 3_000, logEntries: 2_000);
        await CutOverAsync(journalMode == "WAL" ? source.InWalMode() : source);
        using var writer = new BackgroundWriter(_scenario.TargetPath, pauseMs: 2).Start();
        writer.WaitForCommits(30);

        var result = await _scenario.Provider.CopyBackAsync(_scenario.Endpoints());
        int committed = writer.Commits;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (writer.Failures == 0 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(5); // the target refuses writes now
        }

        writer.Stop();

        Assert.Equal(committed, writer.Commits);
        Assert.Contains(SqliteDatabaseProvider.ReadOnlyMessage, writer.LastFailure, StringComparison.Ordinal);
        Assert.True(result.Final);
        Assert.False(result.FullCopy);
        Assert.True(result.ChangedRows >= committed, $"{result.ChangedRows} changed rows for {committed} commits");
        Assert.Empty(writer.MissingIn(_scenario.SourcePath));
        var comparison = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);
        Assert.True(comparison.Passed, comparison.Summary); // source and target hold the same rows
        Assert.Equal(TargetChangeState.Unchanged, (await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints())).State);
        var refused = Assert.Throws<SqliteException>(() => Db.Execute(_scenario.SourcePath, "DELETE FROM users WHERE id = 1"));
        Assert.Contains(SqliteDatabaseProvider.ReadOnlyMessage, refused.Message, StringComparison.Ordinal); // still read-only until MakeSourceWritable
    }

    [Fact]
    public async Task CopyBackAsync_AppliesExactlyTheTargetsChanges_ThenTheRollbackLeavesTheSourceAsItWasPlusThem()
    {
        string before = string.Join("\n", Db.Strings(_scenario.BuildSource(), UserObjects));
        await CutOverAsync();
        Db.Execute(_scenario.TargetPath, """
            INSERT INTO users (id, handle, created_at) VALUES (7001, 'new', 'now');
            UPDATE posts SET body = 'edited' WHERE id = 5;
            DELETE FROM comments WHERE id = 7;
            DELETE FROM likes WHERE (user_id, post_id) = (SELECT user_id, post_id FROM likes ORDER BY 1, 2 LIMIT 1);
            INSERT INTO activity_log VALUES ('target', 'only', 2);
            """);

        var result = await _scenario.Provider.CopyBackAsync(_scenario.Endpoints());
        var again = await _scenario.Provider.CopyBackAsync(_scenario.Endpoints());
        await _scenario.Provider.MakeSourceWritableAsync(_scenario.Endpoints());
        var changes = await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints());
        await _scenario.Provider.DropTargetAsync(_scenario.Endpoints());

        Assert.Equal((5L, false), (result.ChangedRows, result.FullCopy));
        Assert.Equal(["activity_log", "comments", "likes", "posts", "users"], result.Tables.Select(t => t.Table).Order());
        Assert.All(result.Tables, t => Assert.False(t.Whole));
        Assert.Equal((0L, 0L, 0L), (again.ChangedRows, again.RowsWritten, again.RowsDeleted));
        Assert.Equal(TargetChangeState.Unchanged, changes.State);
        Assert.Equal("new", Db.Scalar(_scenario.SourcePath, "SELECT handle FROM users WHERE id = 7001"));
        Assert.Equal("edited", Db.Scalar(_scenario.SourcePath, "SELECT body FROM posts WHERE id = 5"));
        Assert.Equal(0, Db.Count(_scenario.SourcePath, "SELECT count(*) FROM comments WHERE id = 7"));
        Assert.Equal(1, Db.Count(_scenario.SourcePath, "SELECT count(*) FROM activity_log WHERE kind = 'target'"));
        Assert.Equal(before, string.Join("\n", Db.Strings(_scenario.SourcePath, UserObjects))); // writable, nothing of this tool left
        Db.Execute(_scenario.SourcePath, "INSERT INTO users (id, handle, created_at) VALUES (7002, 'writable', 'again')");
    }

    [Fact]
    public async Task CopyBackAsync_WithoutBaseline_CopiesEveryTableBackWhole()
    {
        _scenario.BuildSource();
        await _scenario.MigrateAsync();
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());
        await _scenario.Provider.SyncChangesAsync(_scenario.Endpoints());
        Db.Execute(_scenario.TargetPath, "UPDATE users SET email = 'unrecorded' WHERE id = 3; DELETE FROM activity_log WHERE rowid = 1;");

        var result = await _scenario.Provider.CopyBackAsync(_scenario.Endpoints());

        Assert.True(result.FullCopy);
        Assert.All(result.Tables, t => Assert.True(t.Whole));
        Assert.Equal(SocialMediaSource.Tables.Order(), result.Tables.Select(t => t.Table).Order());
        Assert.Equal("unrecorded", Db.Scalar(_scenario.SourcePath, "SELECT email FROM users WHERE id = 3"));
        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
        Assert.Equal(TargetChangeState.Unchanged, (await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints())).State);
    }

    [Fact]
    public async Task CopyBackAsync_FullTextAndOtherVirtualTables_AreCopiedBackAndSearchable()
    {
        await CutOverAsync(new SocialMediaSource().With(SqliteVirtualTableTests.VirtualTables));
        Db.Execute(_scenario.TargetPath, "INSERT INTO posts (id, user_id, body) VALUES (7000, 1, 'zeppelins arrive'); INSERT INTO notes (rowid, title, text) VALUES (9999, 'airship', 'hydrogen'); DELETE FROM places WHERE id = 2;");

        var changes = await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints());
        await _scenario.Provider.CopyBackAsync(_scenario.Endpoints());

        Assert.Equal(["notes", "places", "post_search", "posts"], changes.Tables.Select(t => t.Table).Order());
        Assert.Equal(["7000"], Db.Strings(_scenario.SourcePath, "SELECT rowid FROM post_search WHERE post_search MATCH 'zeppelin'"));
        Assert.Equal(["9999"], Db.Strings(_scenario.SourcePath, "SELECT rowid FROM notes WHERE notes MATCH 'hydrogen'"));
        Assert.Equal(0, Db.Count(_scenario.SourcePath, "SELECT count(*) FROM places WHERE id = 2"));
        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
    }

    [Fact]
    public async Task WritesPastTheChangeRecording_AreReportedAndCopiedBackWhole()
    {
        await CutOverAsync(new SocialMediaSource().With("CREATE TABLE odd (rowid TEXT, _rowid_ TEXT, oid TEXT); INSERT INTO odd VALUES ('a', 'b', 'c');"));
        using (var connection = Db.Open(_scenario.TargetPath))
        {
            // An application connection with triggers off: the capture cannot see it, the row count can.
            Assert.Equal(0, SQLitePCL.raw.sqlite3_db_config(connection.Handle, 1003, 0, out _)); // SQLITE_DBCONFIG_ENABLE_TRIGGER
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO comments (id, post_id, user_id, body) VALUES (8100, 1, 1, 'unseen'); INSERT INTO odd VALUES ('x', 'y', 'z');";
            command.ExecuteNonQuery();
        }

        Db.Execute(_scenario.TargetPath, "DROP TRIGGER dmig_target_capture_users_update; UPDATE users SET karma = -1 WHERE id = 4;");
        var changes = await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints());
        var result = await _scenario.Provider.CopyBackAsync(_scenario.Endpoints());

        Assert.Equal(TargetChangeState.Unknown, changes.State);
        Assert.Contains("'users' was removed", changes.Reason, StringComparison.Ordinal);
        Assert.Contains("'comments' holds", changes.Reason, StringComparison.Ordinal);
        Assert.All(changes.Tables, t => Assert.True(t.Whole));
        Assert.Equal(["comments", "odd", "users"], changes.Tables.Select(t => t.Table).Order());
        Assert.Equal(["comments", "odd", "users"], result.Tables.Select(t => t.Table).Order());
        Assert.Equal(-1.0, Convert.ToDouble(Db.Scalar(_scenario.SourcePath, "SELECT karma FROM users WHERE id = 4"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("unseen", Db.Scalar(_scenario.SourcePath, "SELECT body FROM comments WHERE id = 8100"));
        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
        Assert.Equal(TargetChangeState.Unchanged, (await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints())).State); // a fresh baseline, capture repaired
    }

    [Fact]
    public async Task CopyBackAsync_TargetSchemaChangedSinceCutover_IsRefusedNonRetriably_AndChangesAreUnknown()
    {
        await CutOverAsync();
        Db.Execute(_scenario.TargetPath, "ALTER TABLE users ADD COLUMN nickname TEXT; UPDATE users SET nickname = 'n' WHERE id = 1;");

        var changes = await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints());
        var error = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _scenario.Provider.CopyBackAsync(_scenario.Endpoints()));

        Assert.Equal(TargetChangeState.Unknown, changes.State);
        Assert.Contains("schema changed", changes.Reason, StringComparison.Ordinal);
        Assert.Contains("schema changed", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_scenario.TargetPath, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MakeTargetReadOnly_BackupTarget_ThenDropTarget_KeepsEveryAcknowledgedTargetWriteInATimestampedBackup()
    {
        await CutOverAsync();
        Db.Execute(_scenario.TargetPath, "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) INSERT INTO users (id, handle, created_at) SELECT 5000 + i, 'after' || i, 'now' FROM n");
        string backups = _scenario.File("data-dir/backups");
        await _scenario.Provider.MakeTargetReadOnlyAsync(_scenario.Endpoints());
        var refused = Assert.Throws<SqliteException>(() => Db.Execute(_scenario.TargetPath, "INSERT INTO users (id, handle, created_at) VALUES (6000, 'too late', 'now')"));

        string? backup = await _scenario.Provider.BackupTargetAsync(_scenario.Endpoints(), backups);
        string? second = await _scenario.Provider.BackupTargetAsync(_scenario.Endpoints(), backups);
        await _scenario.Provider.DropTargetAsync(_scenario.Endpoints());

        Assert.Contains(SqliteDatabaseProvider.ReadOnlyMessage, refused.Message, StringComparison.Ordinal);
        Assert.NotNull(backup);
        Assert.Equal(Path.GetFullPath(backups), Path.GetDirectoryName(backup));
        Assert.Matches(@"^social\.\d{8}T\d{9}Z(-\d+)?\.target\.db$", Path.GetFileName(backup));
        Assert.NotEqual(backup, second);
        Assert.Equal(50, Db.Count(backup, "SELECT count(*) FROM users WHERE handle LIKE 'after%'"));
        Assert.Equal("ok", Db.Scalar(backup, "PRAGMA integrity_check"));
        Assert.Empty(Directory.GetFiles(backups, "*.partial"));
        Assert.False(File.Exists(_scenario.TargetPath));
        Assert.Null(await _scenario.Provider.BackupTargetAsync(_scenario.Endpoints(), backups)); // no target, nothing to keep
    }

    [Fact]
    public async Task ForgetTargetBaselineAsync_RemovesTheCaptureAndAnyReadOnlyTriggers_TheTargetEndsAsItWasCopied()
    {
        await CutOverAsync(recordBaseline: false);
        string copied = string.Join("\n", Db.Strings(_scenario.TargetPath, UserObjects));
        await _scenario.Provider.RecordTargetBaselineAsync(_scenario.Endpoints());
        Assert.Contains(Db.Objects(_scenario.TargetPath, "trigger"), t => t.StartsWith("dmig_target_capture_", StringComparison.Ordinal));
        await _scenario.Provider.CopyBackAsync(_scenario.Endpoints()); // leaves the target read-only

        await _scenario.Provider.ForgetTargetBaselineAsync(_scenario.Endpoints());
        await _scenario.Provider.ForgetTargetBaselineAsync(_scenario.Endpoints());

        Assert.Equal(copied, string.Join("\n", Db.Strings(_scenario.TargetPath, UserObjects)));
        Db.Execute(_scenario.TargetPath, "INSERT INTO users (id, handle, created_at) VALUES (7003, 'accepted', 'now')");
        Assert.Equal(TargetChangeState.Unknown, (await _scenario.Provider.GetTargetChangesAsync(_scenario.Endpoints())).State);
    }

    [Fact]
    public void TargetChanges_AreAdvertised()
    {
        IDatabaseProvider provider = _scenario.Provider;

        Assert.True(provider.SupportsTargetChanges);
    }

    /// <summary>Migrates and cuts over as the orchestration does: copy, read-only source, final sync, baseline.</summary>
    private async Task CutOverAsync(SocialMediaSource? source = null, bool recordBaseline = true)
    {
        if (!File.Exists(_scenario.SourcePath))
        {
            _scenario.BuildSource(source);
        }

        await _scenario.MigrateAsync();
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());
        await _scenario.Provider.SyncChangesAsync(_scenario.Endpoints());
        if (recordBaseline)
        {
            await _scenario.Provider.RecordTargetBaselineAsync(_scenario.Endpoints());
        }
    }
}
