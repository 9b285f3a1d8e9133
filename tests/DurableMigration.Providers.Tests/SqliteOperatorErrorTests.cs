using System.Diagnostics;
using DurableMigration.Providers.Sqlite;
using DurableMigration.Providers.Tests.Fixtures;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.Tests;

/// <summary>Errors an operator can act on: where the target goes, locked and busy sources, corrupt sources, one-line causes.</summary>
/// <remarks>Every test runs twice: here with table-by-table copies, in the derived class with page copies (see <c>SqlitePageCopyTests.cs</c>).</remarks>
public class SqliteOperatorErrorTests : IDisposable
{
    private readonly ProviderScenario _scenario;

    public SqliteOperatorErrorTests()
        : this(pageCopy: false)
    {
    }

    /// <summary>Runs the tests with every copy page by page (<paramref name="pageCopy"/>) or table by table.</summary>
    protected SqliteOperatorErrorTests(bool pageCopy) => _scenario = new(pageCopy: pageCopy);

    public void Dispose()
    {
        _scenario.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task AssessAsync_TargetFolderMissing_IsBlockingAndNamesTheFolder()
    {
        _scenario.BuildSource();
        var endpoints = _scenario.Endpoints() with { TargetConnection = Db.ConnectionString(_scenario.File(Path.Combine("missing", "target.db"))) };

        var report = await _scenario.Provider.AssessAsync(endpoints);

        var finding = Assert.Single(report.Findings, f => f.Rule == SqliteAssessmentRules.TargetDirectoryMissing);
        Assert.Equal(FindingSeverity.Blocking, finding.Severity);
        Assert.Contains("does not exist", finding.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_scenario.File("missing")));
    }

    [Fact]
    public async Task CopySchemaAsync_TargetFolderMissing_RefusesInsteadOfCreatingIt()
    {
        _scenario.BuildSource();
        string folder = _scenario.File("missing");
        var endpoints = _scenario.Endpoints() with { TargetConnection = Db.ConnectionString(Path.Combine(folder, "target.db")) };

        var error = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _scenario.Provider.CopySchemaAsync(endpoints));

        Assert.Contains("folder of the target file 'target.db' does not exist", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task CopySchemaAsync_TargetFolderMissing_IsCreatedWhenTheOptionSaysSo()
    {
        _scenario.BuildSource();
        string target = _scenario.File(Path.Combine("created", "target.db"));
        var provider = new SqliteDatabaseProvider(options: new SqliteProviderOptions { CreateTargetDirectory = true });
        var endpoints = _scenario.Endpoints() with { TargetConnection = Db.ConnectionString(target) };

        var report = await provider.AssessAsync(endpoints);
        await provider.CopySchemaAsync(endpoints);

        Assert.Equal(FindingSeverity.Information, Assert.Single(report.Findings, f => f.Rule == SqliteAssessmentRules.TargetDirectoryMissing).Severity);
        Assert.True(File.Exists(target));
    }

    [Fact]
    public async Task AssessAndCopy_TargetFolderNotWritable_AreBlockedWithTheCauseInOneLine()
    {
        if (UnwritableFolder() is not { } folder)
        {
            return; // no folder here refuses new files to this user
        }

        _scenario.BuildSource();
        var endpoints = _scenario.Endpoints() with { TargetConnection = Db.ConnectionString(Path.Combine(folder, "target.db")) };

        var report = await _scenario.Provider.AssessAsync(endpoints);
        var error = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _scenario.Provider.CopySchemaAsync(endpoints));

        var finding = Assert.Single(report.Findings, f => f.Rule == SqliteAssessmentRules.TargetNotWritable);
        Assert.Equal(FindingSeverity.Blocking, finding.Severity);
        Assert.Contains("cannot create the target file 'target.db': its folder is not writable (", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain(folder + "/", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AssessAsync_TargetFileSystemWithoutRoom_IsBlocking()
    {
        _scenario.BuildSource();
        var provider = new SqliteDatabaseProvider(options: new SqliteProviderOptions { FreeSpaceProbe = _ => 4 << 20 });

        var report = await provider.AssessAsync(_scenario.Endpoints());

        var finding = Assert.Single(report.Findings, f => f.Rule == SqliteAssessmentRules.TargetDiskSpace);
        Assert.Equal(FindingSeverity.Blocking, finding.Severity);
        Assert.Contains("4 MiB free", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AssessAsync_CorruptSource_SummarizesTheIntegrityCheckInOneLine_AndLogsEveryProblem()
    {
        _scenario.BuildSource();
        Corrupt(_scenario.SourcePath);
        var logger = new RecordingLogger<SqliteDatabaseProvider>();
        var provider = new SqliteDatabaseProvider(logger);

        var report = await provider.AssessAsync(_scenario.Endpoints());

        var finding = Assert.Single(report.Findings, f => f.Rule == SqliteAssessmentRules.Integrity);
        Assert.Equal(FindingSeverity.Blocking, finding.Severity);
        Assert.DoesNotContain('\n', finding.Message);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(finding.Message, @"found \d+ (or more )?problems, the first: row \d+ missing from index ix_posts_user\. Repair or restore the file first; every problem is in the log\.$"), finding.Message);
        var logged = logger.Lines.Where(l => l.EventId == 108).ToList();
        Assert.True(logged.Count > 5, $"{logged.Count} problem(s) logged");
        Assert.Contains($"found {logged.Count} ", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AssessAsync_SourceHeldUnderAnExclusiveLock_FailsWithinFiveSecondsNamingTheLock_AsARetriableError()
    {
        _scenario.BuildSource();
        using var holder = Db.Open(_scenario.SourcePath);
        Execute(holder, "BEGIN EXCLUSIVE");
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<DatabaseLockedException>(() => _scenario.Provider.AssessAsync(_scenario.Endpoints()));

        // "Within a few seconds" is the default lock timeout's job: it is checked as configuration, not as wall time, which a loaded machine stretches.
        Assert.True(new SqliteProviderOptions().LockTimeout <= TimeSpan.FromSeconds(5));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3), $"gave up after {clock.Elapsed}, before the lock timeout");
        Assert.IsNotAssignableFrom<INonRetriableException>(error);
        Assert.False(TaskFailureDetails.FromException(error).IsNonRetriable());
        Assert.Equal("PENDING or EXCLUSIVE", error.Lock);
        Assert.Contains("the source file 'source.db' is locked: another connection holds the PENDING or EXCLUSIVE lock", error.Message, StringComparison.Ordinal);
        Assert.Contains("Retry when that connection has committed or closed", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain(_scenario.SourcePath, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CopyDataAsync_WalSourceOfAConnectionInExclusiveLockingMode_FailsNamingTheLock()
    {
        _scenario.BuildSource(new SocialMediaSource().InWalMode());
        await _scenario.Provider.CopySchemaAsync(_scenario.Endpoints());
        using var holder = Db.Open(_scenario.SourcePath);
        Execute(holder, "PRAGMA locking_mode = EXCLUSIVE; BEGIN IMMEDIATE; UPDATE posts SET score = 0 WHERE id = 1; COMMIT;");
        var provider = new SqliteDatabaseProvider(options: new SqliteProviderOptions { LockTimeout = TimeSpan.FromSeconds(1) });

        var error = await Assert.ThrowsAsync<DatabaseLockedException>(() => provider.CopyDataAsync(_scenario.Endpoints(), new RecordingProgress()));

        Assert.Equal("EXCLUSIVE", error.Lock);
        Assert.Contains("EXCLUSIVE locking mode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AssessAndCopy_RollbackJournalSourceWithAWriterCommitting200TimesASecond_Succeed()
    {
        _scenario.BuildSource(new SocialMediaSource().WithRows(users: 400, posts: 3_000, comments: 8_000, likes: 4_000, logEntries: 4_000));
        Assert.Equal("delete", Db.Scalar(_scenario.SourcePath, "PRAGMA journal_mode"));
        using var writer = new BackgroundWriter(_scenario.SourcePath, pauseMs: 3).Start();
        writer.WaitForCommits(20);

        var report = await _scenario.Provider.AssessAsync(_scenario.Endpoints());
        int before = writer.Commits;
        await _scenario.MigrateAsync();
        writer.WaitForCommits(20);
        writer.Stop();

        Assert.False(report.IsBlocked, string.Join("; ", report.Findings.Select(f => f.Message)));
        Assert.True(writer.Commits > before, "the writer committed during the copy");
        Assert.Equal(0, writer.Failures);
    }

    private static string? UnwritableFolder()
    {
        foreach (string candidate in new[] { "/sys", "/proc" })
        {
            if (Directory.Exists(candidate))
            {
                try
                {
                    using (File.Create(Path.Combine(candidate, "dmig-probe.db"), 1, FileOptions.DeleteOnClose))
                    {
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Points an index at another column through writable_schema: the file opens, and integrity_check reports one problem per row.</summary>
    private static void Corrupt(string path) =>
        Db.Execute(path, "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE INDEX ix_posts_user ON posts (score)' WHERE name = 'ix_posts_user'; PRAGMA writable_schema = OFF;");

    private static void Execute(Microsoft.Data.Sqlite.SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
