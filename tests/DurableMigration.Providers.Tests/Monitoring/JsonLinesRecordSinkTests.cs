using System.Text.Json.Nodes;
using DurableMigration.Monitoring;
using DurableMigration.Providers.Monitoring;

namespace DurableMigration.Providers.Tests.Monitoring;

public sealed class JsonLinesRecordSinkTests
{
    [Fact]
    public async Task Record_AppendsOneParseableLinePerRecord_FromManyThreads()
    {
        string directory = Directory.CreateTempSubdirectory("records-").FullName;
        try
        {
            var sink = new JsonLinesRecordSink(Path.Combine(directory, "data", "records.jsonl"));
            await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
            {
                for (int i = 0; i < 50; i++)
                {
                    sink.Record(new MigrationRecord(DateTimeOffset.UtcNow, "wave-" + t.ToString(System.Globalization.CultureInfo.InvariantCulture), MigrationRecordKinds.Progress) { Rows = i, LagSeconds = 1.5 });
                }
            })));

            string[] lines = await File.ReadAllLinesAsync(sink.Path);
            Assert.Equal(400, lines.Length);
            Assert.All(lines, line =>
            {
                JsonObject row = JsonNode.Parse(line)!.AsObject();
                Assert.Equal("progress", (string?)row["Kind"]);
                Assert.NotNull(row["TimeGenerated"]);
                Assert.StartsWith("wave-", (string?)row["Wave"], StringComparison.Ordinal);
            });
            Assert.Equal(0, sink.DroppedCount);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Record_UnwritablePath_DropsWithoutThrowing()
    {
        string file = Path.GetTempFileName();
        try
        {
            var sink = new JsonLinesRecordSink(Path.Combine(file, "records.jsonl")); // a file where a directory should be

            sink.Record(new MigrationRecord(DateTimeOffset.UtcNow, "wave-1", MigrationRecordKinds.Alert));

            Assert.Equal(1, sink.DroppedCount);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
