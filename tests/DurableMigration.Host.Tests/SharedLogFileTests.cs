using DurableMigration.Host.Hosting;
using DurableMigration.Monitoring;
using DurableMigration.Providers.Monitoring;

namespace DurableMigration.Host.Tests;

/// <summary>Processes sharing a data directory share its log file; none may overwrite another's lines.</summary>
public sealed class SharedLogFileTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dmig-log-tests", Guid.NewGuid().ToString("N")[..12]);

    public SharedLogFileTests() => Directory.CreateDirectory(_directory);

    [Fact]
    public async Task TwoWritersOfOneFile_AtOnce_KeepEveryLineWhole()
    {
        string path = Path.Combine(_directory, "dmig.log");
        // Two opens of one file, as two processes have: each with its own file offset.
        using var first = new SharedLogFile(path);
        using var second = new SharedLogFile(path);

        await Task.WhenAll(
            Task.Run(() => WriteLines(first, "first")),
            Task.Run(() => WriteLines(second, "second")));
        var lines = await File.ReadAllLinesAsync(path);

        Assert.Equal(4000, lines.Length);
        Assert.Equal(2000, lines.Count(l => l.StartsWith("first ", StringComparison.Ordinal) && l.EndsWith(" end", StringComparison.Ordinal)));
        Assert.Equal(2000, lines.Count(l => l.StartsWith("second ", StringComparison.Ordinal) && l.EndsWith(" end", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TwoRecordFilesOfOneDataDirectory_AtOnce_KeepEveryRecordWhole_AndDisposalWritesWhatIsQueued()
    {
        string path = Path.Combine(_directory, RecordFileSink.FileName);
        // Two sinks of one file, as two dmig workers on one data directory have.
        await using (var first = new RecordFileSink(path))
        await using (var second = new RecordFileSink(path))
        {
            Assert.False(File.Exists(path)); // opened on the first record
            await Task.WhenAll(
                Task.Run(() => Record(first, "first")),
                Task.Run(() => Record(second, "second")));
        }

        var records = (await File.ReadAllLinesAsync(path)).Select(MigrationRecordJson.Deserialize).ToList();

        Assert.Equal(4000, records.Count);
        Assert.Equal(Enumerable.Range(0, 2000), records.Where(r => r.Wave == "first").Select(r => (int)r.Rows!.Value));
        Assert.Equal(Enumerable.Range(0, 2000), records.Where(r => r.Wave == "second").Select(r => (int)r.Rows!.Value));
    }

    private static void Record(RecordFileSink sink, string wave)
    {
        for (int i = 0; i < 2000; i++)
        {
            sink.Record(new MigrationRecord(DateTimeOffset.UnixEpoch, wave, MigrationRecordKinds.Progress) { Database = "db", Rows = i, Error = new string('x', i % 300) });
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static void WriteLines(SharedLogFile file, string writer)
    {
        for (int i = 0; i < 2000; i++)
        {
            file.AppendLine($"{writer} line {i} of a log that two processes write at once end");
        }
    }
}
