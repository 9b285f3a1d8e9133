using DurableMigration.Providers.SqlServer;
using DurableMigration.Providers.Tests.Fixtures;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.Tests.SqlServer;

/// <summary>Error translation from SQL Server error numbers, the transient-error retry, and the live runner's failures where no server runs.</summary>
public sealed class SqlServerErrorsTests
{
    [Theory]
    [InlineData(18456, "login failed")]
    [InlineData(4060, "cannot open the database")]
    [InlineData(40615, "firewall")]
    [InlineData(229, "permission denied")]
    [InlineData(208, "error 208")]
    [InlineData(547, "error 547")]
    public void Translate_PermanentErrors_AreNonRetriableAndNameTheProblem(int number, string expected)
    {
        var ex = SqlServerErrors.Translate(number, "Invalid object name 'x'.", "sales", "assessment.agent-jobs");

        Assert.IsType<PermanentDatabaseProviderException>(ex);
        Assert.IsAssignableFrom<INonRetriableException>(ex);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("Database 'sales': SQL Server statement assessment.agent-jobs failed", ex.Message, StringComparison.Ordinal);
        Assert.Equal(number, SqlServerErrors.NumberOf(ex));
    }

    [Theory]
    [InlineData(-2, "timed out")]
    [InlineData(-1, "not found or not reachable")]
    [InlineData(53, "not found or not reachable")]
    [InlineData(10061, "not found or not reachable")]
    [InlineData(1205, "transient error 1205")]
    [InlineData(40613, "transient error 40613")]
    [InlineData(40197, "transient error 40197")]
    [InlineData(40501, "transient error 40501")]
    [InlineData(49918, "transient error 49918")]
    public void Translate_TransientErrors_AreRetriable(int number, string expected)
    {
        var ex = SqlServerErrors.Translate(number, "busy", "sales", "server.properties");

        Assert.IsNotType<PermanentDatabaseProviderException>(ex);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_LoginFailed_NeverRepeatsTheServersMessage()
    {
        var ex = SqlServerErrors.Translate(18456, "Login failed for user 'migrator'. Reason: Password did not match. Client: 10.1.2.3", "sales", "server.properties", "hunter2");

        Assert.DoesNotContain("migrator", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("10.1.2.3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_OtherErrors_RedactSecretsAndKeepOneLine()
    {
        var ex = SqlServerErrors.Translate(50000, "first line mentions hunter2\r\nsecond line", "sales", "validation.columns", "hunter2");

        Assert.Contains("first line mentions <secret> second line", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1205, true)]
    [InlineData(40613, true)]
    [InlineData(40197, true)]
    [InlineData(40501, true)]
    [InlineData(49918, true)]
    [InlineData(4060, true)]
    [InlineData(-2, true)]
    [InlineData(18456, false)]
    [InlineData(208, false)]
    [InlineData(547, false)]
    public void IsTransient_FollowsTheWhitelist(int number, bool expected) => Assert.Equal(expected, SqlServerErrors.IsTransient(number));

    [Fact]
    public async Task Retry_TransientErrors_AreRetriedWithOneLogLinePerRetry()
    {
        var logger = new RecordingLogger<SqlServerErrorsTests>();
        var waits = new List<TimeSpan>();
        int tries = 0;

        int result = await SqlServerRetry.RunAsync(
            _ => ++tries < 3 ? throw new NumberedException(40613) : Task.FromResult(42),
            ex => (ex as NumberedException)?.Number,
            new SqlServerQueryRunnerOptions { MaxRetries = 4, RetryBaseDelay = TimeSpan.FromSeconds(1) },
            logger,
            "server.properties",
            "sales",
            (wait, _) => { waits.Add(wait); return Task.CompletedTask; });

        Assert.Equal(42, result);
        Assert.Equal(3, tries);
        Assert.Equal(2, waits.Count);
        Assert.InRange(waits[0], TimeSpan.FromMilliseconds(800), TimeSpan.FromMilliseconds(1200));
        Assert.InRange(waits[1], TimeSpan.FromMilliseconds(1600), TimeSpan.FromMilliseconds(2400));
        var lines = logger.Lines.Where(l => l.EventId == 320).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal(LogLevel.Warning, l.Level));
        Assert.Contains("server.properties for sales failed with transient error 40613; retry 1 of 4", lines[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_GivesUpAfterMaxRetries_WithTheLastFailure()
    {
        int tries = 0;

        var ex = await Assert.ThrowsAsync<NumberedException>(() => SqlServerRetry.RunAsync<int>(
            _ => { tries++; throw new NumberedException(1205); },
            ex => (ex as NumberedException)?.Number,
            new SqlServerQueryRunnerOptions { MaxRetries = 2 },
            new RecordingLogger<SqlServerErrorsTests>(),
            "q",
            "sales",
            (_, _) => Task.CompletedTask));

        Assert.Equal(3, tries);
        Assert.Equal(1205, ex.Number);
    }

    [Theory]
    [InlineData(18456)]
    [InlineData(208)]
    public async Task Retry_PermanentErrors_AreNotRetried(int number)
    {
        int tries = 0;

        await Assert.ThrowsAsync<NumberedException>(() => SqlServerRetry.RunAsync<int>(
            _ => { tries++; throw new NumberedException(number); },
            ex => (ex as NumberedException)?.Number,
            new SqlServerQueryRunnerOptions(),
            new RecordingLogger<SqlServerErrorsTests>(),
            "q",
            "sales",
            (_, _) => Task.CompletedTask));

        Assert.Equal(1, tries);
    }

    [Theory]
    [InlineData(0, true, -1)]
    [InlineData(0, false, 0)]
    [InlineData(18456, true, 18456)]
    public void EffectiveNumber_ReadsErrorZeroWhileOpeningAsUnreachable(int number, bool opening, int expected) =>
        Assert.Equal(expected, SqlServerErrors.EffectiveNumber(number, opening));

    [Fact]
    public void Backoff_DoublesAndIsCapped()
    {
        var options = new SqlServerQueryRunnerOptions { RetryBaseDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(5) };

        Assert.Equal(TimeSpan.FromSeconds(0.8), SqlServerRetry.Backoff(0, options, 0));
        Assert.Equal(TimeSpan.FromSeconds(4), SqlServerRetry.Backoff(2, options, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(6), SqlServerRetry.Backoff(10, options, 1.0));
    }

    [Fact]
    public void Runner_WithAnUnparsableConnectionString_FailsPermanentlyWithoutRepeatingIt()
    {
        var ex = Assert.Throws<PermanentDatabaseProviderException>(() => new SqlServerQueryRunner("Server=db1;Password=hunter2;Frobnicate=yes", "sales"));

        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Frobnicate", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be parsed", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tcp:127.0.0.1,1")]
    [InlineData("tcp:dmig-no-such-host.invalid,1433")]
    public async Task Runner_WhenTheServerIsMissingOrNothingListens_FailsRetriablyWithoutTheConnectionString(string server)
    {
        var runner = new SqlServerQueryRunner(
            $"Server={server};Database=sales;User ID=migrator;Password=hunter2;Encrypt=false;Connect Timeout=3;Connect Retry Count=0",
            "sales",
            new SqlServerQueryRunnerOptions { MaxRetries = 0 });

        var ex = await Assert.ThrowsAsync<DatabaseProviderException>(() => runner.QueryAsync(SqlServerQueries.ServerProperties));

        Assert.IsNotType<PermanentDatabaseProviderException>(ex);
        Assert.Contains("not found or not reachable", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Split(':', ',')[1], ex.Message, StringComparison.Ordinal);
        Assert.Null(ex.InnerException);
    }

    [Fact]
    public void Runner_FromEndpoints_IsNamedAfterTheWavesDatabaseAndOpensTheRightCatalog()
    {
        var endpoints = new MigrationEndpoints("sales", "Server=src;Database=sales_db;User ID=u;Password=p", "Server=tgt;Database=sales_copy;User ID=u;Password=p", null);

        var source = SqlServerQueryRunner.ForSource(endpoints);
        var target = SqlServerQueryRunner.ForTarget(endpoints);
        var master = target.WithInitialCatalog("master");

        Assert.Equal(("sales", "sales_db"), (source.Database, source.DatabaseName));
        Assert.Equal(("sales", "sales_copy"), (target.Database, target.DatabaseName));
        Assert.Equal(("sales", "master"), (master.Database, master.DatabaseName));
    }

    [Fact]
    public void Runner_NormalizesValuesAsRecordingsHoldThem()
    {
        Assert.Equal(7L, SqlServerQueryRunner.Normalize(7));
        Assert.Equal(7L, SqlServerQueryRunner.Normalize((short)7));
        Assert.Equal(7L, SqlServerQueryRunner.Normalize((byte)7));
        Assert.Null(SqlServerQueryRunner.Normalize(DBNull.Value));
        Assert.Equal("0x00FF", SqlServerQueryRunner.Normalize(new byte[] { 0, 255 }));
        Assert.Equal("2026-12-01T03:04:05.0000000", SqlServerQueryRunner.Normalize(new DateTime(2026, 12, 1, 3, 4, 5, DateTimeKind.Unspecified)));
        Assert.Equal("6f9619ff-8b86-d011-b42d-00c04fc964ff", SqlServerQueryRunner.Normalize(Guid.Parse("6F9619FF-8B86-D011-B42D-00C04FC964FF")));
        Assert.Equal(1.5m, SqlServerQueryRunner.Normalize(1.5m));
    }

    [Fact]
    public void Row_ReadsValuesByNameAndFailsNamingAMissingColumn()
    {
        var row = new SqlServerRow([new("Count", 3L), new("flag", true), new("text", "12"), new("nothing", null)]);

        Assert.Equal(3, row.GetInt32("count"));
        Assert.True(row.GetBoolean("FLAG"));
        Assert.Equal(12, row.GetInt64("text"));
        Assert.Equal(-1, row.GetInt64("nothing", -1));
        Assert.Null(row.GetString("nothing"));
        var ex = Assert.Throws<KeyNotFoundException>(() => row["missing"]);
        Assert.Contains("'missing'", ex.Message, StringComparison.Ordinal);
    }

    private sealed class NumberedException(int number) : Exception($"error {number}")
    {
        public int Number { get; } = number;
    }
}
