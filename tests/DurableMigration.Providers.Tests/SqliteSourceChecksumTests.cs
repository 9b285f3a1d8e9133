using DurableMigration.Providers.Sqlite;
using DurableMigration.Providers.Tests.Fixtures;

namespace DurableMigration.Providers.Tests;

/// <summary>The source checksums the copy takes (kept in the target's marker) and when validation may reuse them.</summary>
/// <remarks>Every test runs twice: here with table-by-table copies, in the derived class with page copies (see <c>SqlitePageCopyTests.cs</c>).</remarks>
public class SqliteSourceChecksumTests : IDisposable
{
    private readonly ProviderScenario _scenario;

    public SqliteSourceChecksumTests()
        : this(pageCopy: false)
    {
    }

    /// <summary>Runs the tests with every copy page by page (<paramref name="pageCopy"/>) or table by table.</summary>
    protected SqliteSourceChecksumTests(bool pageCopy) => _scenario = new(pageCopy: pageCopy);

    public void Dispose()
    {
        _scenario.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Compute_InRowidHalvesOnTwoThreads_GivesTheChecksumsOfWholeTables()
    {
        await MigratedAsync(); // installs the change capture on the source
        var source = SqliteFile.Parse(Db.ConnectionString(_scenario.SourcePath), "test", "source");
        string capture = (string)Db.Scalar(_scenario.SourcePath, $"SELECT k1 FROM {SqliteSchema.ChangesTable} WHERE seq = 0")!;
        var tables = SocialMediaSource.Tables
            .Select(t => new ComparedTable(t, $"SELECT * FROM main.\"{t}\"", Db.Count(_scenario.SourcePath, $"SELECT wr FROM pragma_table_list WHERE name = '{t}'") == 1 ? null : "rowid"))
            .ToList();

        var whole = SourceChecksums.Compute(source, tables, capture, split: false, CancellationToken.None);
        var halves = SourceChecksums.Compute(source, tables, capture, split: true, CancellationToken.None);

        Assert.Equal(SocialMediaSource.Tables.Length, whole.Count);
        Assert.Equal(whole.Select(c => (c.Table, c.Rows, c.Checksum)), halves.Select(c => (c.Table, c.Rows, c.Checksum)));
        Assert.All(whole, c => Assert.True(c.Rows > 0, c.Table));
    }

    [Fact]
    public async Task CopyDataAsync_StoresTheSourceChecksumsValidationWouldCompute()
    {
        await MigratedAsync();

        var stored = SourceChecksums.Load(SqliteFile.Parse(Db.ConnectionString(_scenario.TargetPath), "test", "target"));
        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.True(report.Passed);
        Assert.Equal(["activity_log", "comments", "likes", "posts", "users"], stored.Keys.Order(StringComparer.Ordinal));
        foreach (var table in report.Tables)
        {
            Assert.Equal(table.SourceChecksum, stored[table.Table].Checksum);
            Assert.Equal(table.SourceRows, stored[table.Table].Rows);
        }
    }

    [Fact]
    public async Task ValidateAsync_SourceTableChangedAfterTheCopy_IsHashedAgain()
    {
        await MigratedAsync();
        var before = SourceChecksums.Load(SqliteFile.Parse(Db.ConnectionString(_scenario.TargetPath), "test", "target"))["posts"].Checksum;
        Db.Execute(_scenario.SourcePath, "UPDATE posts SET score = score + 0.001 WHERE id = 17");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        // The stored checksum still equals the target's: trusting it would have passed.
        var mismatch = Assert.Single(report.Tables, t => !t.Matches);
        Assert.Equal("posts", mismatch.Table);
        Assert.NotEqual(before, mismatch.SourceChecksum);
        Assert.Equal(before, mismatch.TargetChecksum);
    }

    [Fact]
    public async Task ValidateAsync_UnchangedTableWithTheTargetCorruptedAfterTheCopy_ReportsTheTable()
    {
        await MigratedAsync();
        Db.Execute(_scenario.TargetPath, "UPDATE users SET karma = karma + 1 WHERE id = 2; DELETE FROM comments WHERE id = (SELECT max(id) FROM comments)");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        Assert.False(report.Passed);
        Assert.Equal(["comments", "users"], report.Tables.Where(t => !t.Matches).Select(t => t.Table).Order(StringComparer.Ordinal));
        Assert.True(report.Tables.Single(t => t.Table == "comments").TargetRows < report.Tables.Single(t => t.Table == "comments").SourceRows);
    }

    [Fact]
    public async Task ValidateAsync_UnchangedTable_ReusesTheStoredChecksum()
    {
        await MigratedAsync();
        TamperStored("users", "0123456789abcdef0123456789abcdef");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        // Proof that the stored value is what validation compared; a real source checksum never looks like this.
        var users = Assert.Single(report.Tables, t => !t.Matches);
        Assert.Equal("0123456789abcdef0123456789abcdef", users.SourceChecksum);
    }

    [Fact]
    public async Task ValidateAsync_CaptureRemovedAfterTheCopy_HashesTheSourceAgain()
    {
        await MigratedAsync();
        TamperStored("users", "0123456789abcdef0123456789abcdef");
        Db.Execute(_scenario.SourcePath, "DROP TRIGGER dmig_capture_users_update; UPDATE users SET karma = 1 WHERE id = 1");

        var report = await _scenario.Provider.ValidateAsync(_scenario.Endpoints(), ProviderScenario.Everything);

        var users = Assert.Single(report.Tables, t => !t.Matches);
        Assert.NotEqual("0123456789abcdef0123456789abcdef", users.SourceChecksum);
    }

    private void TamperStored(string table, string checksum)
    {
        string json = (string)Db.Scalar(_scenario.TargetPath, $"SELECT {SourceChecksums.Column} FROM _dmig_migration")!;
        var stored = System.Text.Json.JsonSerializer.Deserialize<List<SourceChecksum>>(json)!;
        stored = stored.Select(s => s.Table == table ? s with { Checksum = checksum } : s).ToList();
        using var connection = Db.Open(_scenario.TargetPath);
        using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE _dmig_migration SET {SourceChecksums.Column} = $json";
        command.Parameters.AddWithValue("$json", System.Text.Json.JsonSerializer.Serialize(stored));
        command.ExecuteNonQuery();
    }

    private async Task MigratedAsync()
    {
        _scenario.BuildSource();
        await _scenario.MigrateAsync();
    }
}
