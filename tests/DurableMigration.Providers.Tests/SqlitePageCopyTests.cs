using DurableMigration.Providers.Sqlite;
using DurableMigration.Providers.Tests.Fixtures;

namespace DurableMigration.Providers.Tests;

/// <summary>The copy tests with every copy page by page (SQLite's online backup), as sources of 64 MiB and more are copied.</summary>
public sealed class SqlitePageCopyTests() : SqliteCopyTests(pageCopy: true);

/// <summary>The change-sync tests on targets copied page by page.</summary>
public sealed class SqlitePageCopyChangeSyncTests() : SqliteChangeSyncTests(pageCopy: true);

/// <summary>The virtual-table tests on targets copied page by page.</summary>
public sealed class SqlitePageCopyVirtualTableTests() : SqliteVirtualTableTests(pageCopy: true);

/// <summary>The source-checksum tests on targets copied page by page.</summary>
public sealed class SqlitePageCopySourceChecksumTests() : SqliteSourceChecksumTests(pageCopy: true);

/// <summary>The read-only tests on targets copied page by page.</summary>
public sealed class SqlitePageCopyReadOnlyTests() : SqliteReadOnlyTests(pageCopy: true);

/// <summary>The operator-error tests (locked and busy sources among them) with page copies.</summary>
public sealed class SqlitePageCopyOperatorErrorTests() : SqliteOperatorErrorTests(pageCopy: true);

/// <summary>What only a page copy has to get right: the provider's objects of the source stay behind, the target is replaced in one rename.</summary>
public sealed class SqlitePageCopyTargetTests : IDisposable
{
    private readonly ProviderScenario _scenario = new(progressBatchRows: 25, pageCopy: true);

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public async Task CopyDataAsync_PageCopy_LeavesTheSourcesCaptureBehindAndReportsPages()
    {
        _scenario.BuildSource();
        var progress = new RecordingProgress();

        var result = await _scenario.MigrateAsync(progress: progress);

        Assert.Contains(SqliteSchema.ChangesTable, Db.Objects(_scenario.SourcePath, "table")); // recording on the source
        Assert.DoesNotContain(SqliteSchema.ChangesTable, Db.Objects(_scenario.TargetPath, "table"));
        Assert.DoesNotContain(Db.Objects(_scenario.TargetPath, "trigger"), t => t.StartsWith("dmig_", StringComparison.Ordinal));
        Assert.Equal("copied", Db.Scalar(_scenario.TargetPath, "SELECT state FROM _dmig_migration"));
        Assert.All(progress.Reports, r => Assert.Equal(SqliteDatabaseProvider.AllTables, r.Table));
        Assert.Equal(new FileInfo(_scenario.SourcePath).Length, result.Bytes);
        Assert.False(File.Exists(_scenario.TargetPath + SqliteDatabaseProvider.PageCopySuffix));
        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
    }

    [Fact]
    public async Task CopyDataAsync_SourceThatWasATargetBefore_GetsAMarkerOfItsOwnMigration()
    {
        _scenario.BuildSource();
        await _scenario.MigrateAsync();
        string third = _scenario.File("third.db");
        var onward = new MigrationEndpoints("onward", Db.ConnectionString(_scenario.TargetPath), Db.ConnectionString(third), null);

        await _scenario.Provider.CopySchemaAsync(onward);
        await _scenario.Provider.CopyDataAsync(onward, new RecordingProgress());

        Assert.Equal("onward", Db.Scalar(third, "SELECT database FROM _dmig_migration"));
        Assert.Equal(1, Db.Count(third, "SELECT count(*) FROM _dmig_migration"));
        Assert.True((await _scenario.Provider.ValidateAsync(onward, ProviderScenario.Everything)).Passed);
    }

    [Fact]
    public async Task CopyDataAsync_ReadOnlySource_TargetIsWritableWithoutReadOnlyTriggers()
    {
        _scenario.BuildSource();
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        await _scenario.MigrateAsync();

        Assert.DoesNotContain(Db.Objects(_scenario.TargetPath, "trigger"), t => t.StartsWith(SqliteDatabaseProvider.ReadOnlyTriggerPrefix, StringComparison.Ordinal));
        Assert.Equal(1, Db.Execute(_scenario.TargetPath, "UPDATE posts SET body = 'edited on the target' WHERE id = 1"));
    }

    [Fact]
    public async Task CopyDataAsync_WalSourceWithRowsOnlyInItsLog_CopiesThemAndKeepsWal()
    {
        _scenario.BuildSource();
        Db.Execute(_scenario.SourcePath, "PRAGMA journal_mode = WAL");
        using var holder = Db.Open(_scenario.SourcePath); // keeps the log from being checkpointed away on close
        using (var insert = holder.CreateCommand())
        {
            insert.CommandText = "PRAGMA wal_autocheckpoint = 0; INSERT INTO users (id, handle, created_at) VALUES (90001, 'only-in-the-wal', 'now')";
            insert.ExecuteNonQuery();
        }

        Assert.True(new FileInfo(_scenario.SourcePath + "-wal").Length > 0);

        await _scenario.MigrateAsync();

        Assert.Equal(1, Db.Count(_scenario.TargetPath, "SELECT count(*) FROM users WHERE handle = 'only-in-the-wal'"));
        Assert.Equal("wal", Db.Scalar(_scenario.TargetPath, "PRAGMA journal_mode"));
    }

    [Fact]
    public async Task CopyDataAsync_WithATableLeftBehind_CopiesTableByTable()
    {
        _scenario.BuildSource();
        var progress = new RecordingProgress();

        await _scenario.MigrateAsync(new DurableMigration.Manifest.TableFilter(Include: [], Exclude: ["activity_log"]), progress);

        Assert.DoesNotContain("activity_log", Db.Objects(_scenario.TargetPath, "table")); // a page copy would have carried its rows
        Assert.DoesNotContain(progress.Reports, r => r.Table == SqliteDatabaseProvider.AllTables);
    }

    [Fact]
    public async Task DropTargetAsync_RemovesWhatACopyCutShortLeft()
    {
        _scenario.BuildSource();
        await _scenario.MigrateAsync();
        string partial = _scenario.TargetPath + SqliteDatabaseProvider.PageCopySuffix;
        await File.WriteAllBytesAsync(partial, new byte[4096]);

        await _scenario.Provider.DropTargetAsync(_scenario.Endpoints());

        Assert.False(File.Exists(partial));
        Assert.False(File.Exists(_scenario.TargetPath));
    }
}
