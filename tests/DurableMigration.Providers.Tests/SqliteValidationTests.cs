using DurableMigration.Manifest;
using DurableMigration.Providers.Tests.Fixtures;

namespace DurableMigration.Providers.Tests;

public sealed class SqliteValidationTests : IDisposable
{
    private readonly ProviderScenario _scenario = new();

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public async Task ValidateAsync_ChangedValueInTheTarget_ReportsTheTable()
    {
        await MigratedAsync();
        Db.Execute(_scenario.TargetPath, "UPDATE posts SET score = score + 0.001 WHERE id = 17");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.False(report.Passed);
        var mismatch = Assert.Single(report.Tables, t => !t.Matches);
        Assert.Equal("posts", mismatch.Table);
        Assert.Equal(mismatch.SourceRows, mismatch.TargetRows);
        Assert.NotEqual(mismatch.SourceChecksum, mismatch.TargetChecksum);
    }

    [Fact]
    public async Task ValidateAsync_ValueChangedOnlyInStorageClass_ReportsTheTable()
    {
        await MigratedAsync();
        Db.Execute(_scenario.TargetPath, "UPDATE users SET email = CAST(email AS BLOB) WHERE id = 3");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.Equal("users", Assert.Single(report.Tables, t => !t.Matches).Table);
    }

    [Fact]
    public async Task ValidateAsync_ValuesSwappedBetweenRowsInTheTarget_ReportsTheTable()
    {
        await MigratedAsync();
        Db.Execute(_scenario.TargetPath, """
            UPDATE posts SET body = CASE id WHEN 1 THEN (SELECT body FROM posts WHERE id = 2) ELSE (SELECT body FROM posts WHERE id = 1) END
            WHERE id IN (1, 2)
            """);

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        var mismatch = Assert.Single(report.Tables, t => !t.Matches);
        Assert.Equal("posts", mismatch.Table);
        Assert.Equal(mismatch.SourceRows, mismatch.TargetRows);
    }

    [Theory]
    [InlineData("users", "UPDATE users SET email = '' WHERE id = 5")] // NULL in the source
    [InlineData("posts", "UPDATE posts SET attachment = x'' WHERE id = 1")] // NULL in the source
    [InlineData("comments", "UPDATE comments SET body = NULL WHERE id = 1")]
    public async Task ValidateAsync_NullAndEmptyValuesSwappedInTheTarget_ReportsTheTable(string table, string sql)
    {
        await MigratedAsync();
        Db.Execute(_scenario.TargetPath, sql);

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.Equal(table, Assert.Single(report.Tables, t => !t.Matches).Table);
    }

    [Theory]
    [InlineData(16)] // the fixture's avatars
    [InlineData(100_000)] // longer than the checksum's row buffer
    public async Task ValidateAsync_OneBlobByteChangedInTheTarget_ReportsTheTable(int length)
    {
        _scenario.BuildSource(new SocialMediaSource().With($"UPDATE users SET avatar = randomblob({length}) WHERE id = 4"));
        await _scenario.MigrateAsync();
        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
        var avatar = (byte[])Db.Scalar(_scenario.TargetPath, "SELECT avatar FROM users WHERE id = 4")!;
        avatar[length / 2] ^= 0x40;
        Db.Execute(_scenario.TargetPath, $"UPDATE users SET avatar = x'{Convert.ToHexString(avatar)}' WHERE id = 4");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.Equal("users", Assert.Single(report.Tables, t => !t.Matches).Table);
    }

    [Fact]
    public async Task ValidateAsync_Utf16Database_PassesAndCatchesAChangedCharacter()
    {
        Db.Execute(_scenario.SourcePath, "PRAGMA encoding = 'UTF-16le'; CREATE TABLE scratch (x); DROP TABLE scratch;");
        await MigratedAsync();
        Assert.Equal("UTF-16le", Db.Scalar(_scenario.TargetPath, "PRAGMA encoding"));
        Assert.True((await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything)).Passed);
        Db.Execute(_scenario.TargetPath, "UPDATE posts SET body = replace(body, 'about', 'aböut') WHERE id = 3");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.Equal("posts", Assert.Single(report.Tables, t => !t.Matches).Table);
    }

    [Fact]
    public async Task ValidateAsync_DeletedRowInTheTarget_ReportsTheTable()
    {
        await MigratedAsync();
        Db.Execute(_scenario.TargetPath, "DELETE FROM likes WHERE (user_id, post_id) = (SELECT user_id, post_id FROM likes LIMIT 1)");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        var mismatch = Assert.Single(report.Tables, t => !t.Matches);
        Assert.Equal("likes", mismatch.Table);
        Assert.True(mismatch.TargetRows < mismatch.SourceRows);
    }

    [Fact]
    public async Task ValidateAsync_DuplicatedRowInTheTarget_ReportsTheTable()
    {
        await MigratedAsync();
        Db.Execute(_scenario.TargetPath, "INSERT INTO activity_log SELECT kind, detail, at FROM activity_log ORDER BY rowid LIMIT 1");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        var mismatch = Assert.Single(report.Tables, t => !t.Matches);
        Assert.Equal("activity_log", mismatch.Table);
        Assert.Equal(mismatch.SourceRows + 1, mismatch.TargetRows);
    }

    [Fact]
    public async Task ValidateAsync_DuplicatedRowWithCountsOff_IsStillCaughtByTheChecksum()
    {
        await MigratedAsync();
        Db.Execute(_scenario.TargetPath, "INSERT INTO activity_log SELECT kind, detail, at FROM activity_log ORDER BY rowid LIMIT 1");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), new ValidationOptions(RowCounts: false, Checksums: true));

        var mismatch = Assert.Single(report.Tables, t => !t.Matches);
        Assert.NotEqual(mismatch.SourceChecksum, mismatch.TargetChecksum);
    }

    [Fact]
    public async Task ValidateAsync_RowCountsOnly_ComparesCountsWithoutChecksums()
    {
        await MigratedAsync();
        Db.Execute(_scenario.TargetPath, "UPDATE posts SET body = 'changed' WHERE id = 1");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), new ValidationOptions(RowCounts: true, Checksums: false));

        Assert.True(report.Passed); // a changed value needs checksums to be seen
        Assert.All(report.Tables, t => Assert.Null(t.SourceChecksum));
        Assert.Contains(report.Tables, t => t.Table == "posts" && t.SourceRows > 0);
    }

    [Fact]
    public async Task ValidateAsync_ObjectsMissingInTheTarget_AreListed()
    {
        await MigratedAsync();
        Db.Execute(_scenario.TargetPath, "DROP INDEX ix_likes_post; DROP VIEW post_stats; DROP TRIGGER comments_count; DROP TABLE activity_log;");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.False(report.Passed);
        Assert.Equal(["activity_log", "comments_count", "ix_likes_post", "post_stats"], report.MissingInTarget.Order());
    }

    [Fact]
    public async Task ValidateAsync_MissingTarget_ReportsEverythingMissingWithoutThrowing()
    {
        _scenario.BuildSource();

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.False(report.Passed);
        Assert.Equal(10, report.MissingInTarget.Count); // 5 tables, 1 view, 3 indexes, 1 trigger
        Assert.All(report.Tables, t => Assert.Equal(0, t.TargetRows));
    }

    [Fact]
    public async Task ValidateAsync_TargetThatIsNoDatabase_ReportsEverythingMissingWithoutThrowing()
    {
        _scenario.BuildSource();
        Directory.CreateDirectory(Path.GetDirectoryName(_scenario.TargetPath)!);
        await File.WriteAllTextAsync(_scenario.TargetPath, new string('x', 8192));

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.False(report.Passed);
        Assert.Equal(10, report.MissingInTarget.Count);
    }

    [Fact]
    public async Task ValidateAsync_SourceMadeReadOnly_StillPasses()
    {
        await MigratedAsync();
        await _scenario.Provider.MakeSourceReadOnlyAsync(_scenario.Endpoints());

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.True(report.Passed, string.Join(", ", report.MissingInTarget));
    }

    [Fact]
    public async Task ValidateAsync_ChecksumsAreIndependentOfPhysicalRowOrder()
    {
        await MigratedAsync();

        // Rewrite activity_log in reverse order: same rows, other rowids and page layout.
        Db.Execute(_scenario.TargetPath, """
            CREATE TABLE scratch AS SELECT kind, detail, at FROM activity_log ORDER BY rowid DESC;
            DELETE FROM activity_log;
            INSERT INTO activity_log SELECT * FROM scratch;
            DROP TABLE scratch;
            """);

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.True(report.Passed);
    }

    [Fact]
    public async Task ValidateAsync_BothChecksOff_SaysNothingWasCompared()
    {
        await MigratedAsync();
        Db.Execute(_scenario.TargetPath, "DELETE FROM activity_log WHERE rowid = 1");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), new ValidationOptions(RowCounts: false, Checksums: false));

        Assert.False(report.Validated);
        Assert.Equal(0, report.ComparedTables);
        Assert.StartsWith("not validated:", report.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, false, "passed: compared 5 table(s) (row counts)")]
    [InlineData(false, true, "passed: compared 5 table(s) (row counts, checksums)")]
    [InlineData(true, true, "passed: compared 5 table(s) (row counts, checksums)")]
    public async Task ValidateAsync_SaysWhatItCompared(bool rowCounts, bool checksums, string summary)
    {
        await MigratedAsync();

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), new ValidationOptions(rowCounts, checksums));

        Assert.True(report.Validated);
        Assert.Equal(5, report.ComparedTables);
        Assert.Equal(checksums, report.ComparedChecksums);
        Assert.Equal(summary, report.Summary);
    }

    [Fact]
    public async Task ValidateAsync_Mismatch_SummaryNamesTheTable()
    {
        await MigratedAsync();
        Db.Execute(_scenario.TargetPath, "DELETE FROM activity_log WHERE rowid = 1");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.Equal("FAILED: activity_log", report.Summary);
    }

    private async Task MigratedAsync()
    {
        _scenario.BuildSource();
        await _scenario.MigrateAsync();
    }
}
