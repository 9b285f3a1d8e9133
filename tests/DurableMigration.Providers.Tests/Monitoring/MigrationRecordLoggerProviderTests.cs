using System.Diagnostics.Metrics;
using DurableMigration.Monitoring;
using DurableMigration.Providers.DependencyInjection;
using DurableMigration.Providers.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.Tests.Monitoring;

/// <summary>The forwarding logger provider, its registration and the metrics it feeds.</summary>
public sealed class MigrationRecordLoggerProviderTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "dmig-records-tests", Guid.NewGuid().ToString("N")[..12] + ".jsonl");

    public void Dispose()
    {
        if (File.Exists(_path))
        {
            File.Delete(_path);
        }
    }

    [Fact]
    public async Task RecordsLoggedUnderTheRecordCategory_ReachTheSinks_EvenUnderAWarningMinimum_AndNothingElseDoes()
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddJsonLinesRecords(_path);
        await using (ServiceProvider provider = services.BuildServiceProvider())
        {
            var factory = provider.GetRequiredService<ILoggerFactory>();
            ILogger records = factory.CreateLogger(MigrationRecorder.Category);
            Assert.False(File.Exists(_path)); // the sinks come on the first record

            records.Log(LogLevel.Information, MigrationRecorder.RecordEventId, Record("w1"), null, (r, _) => MigrationRecorder.Format(r));
            records.LogWarning("a line that is no record");
            factory.CreateLogger("DurableMigration.Engine").LogError("an engine error");
        }

        MigrationRecord written = MigrationRecordJson.Deserialize(Assert.Single(await File.ReadAllLinesAsync(_path)));
        Assert.Equal(Record("w1"), written);
    }

    [Fact]
    public void Format_GivesAReadableLine()
    {
        MigrationRecord record = Record("w2") with { Error = "Drill: failure injected at cutover" };

        Assert.Equal("step w2/orders cutover Failed in 1250 ms, 42 rows, 2048 bytes, lag 0.5 s (ticket CHG0030001): Drill: failure injected at cutover", MigrationRecorder.Format(record));
    }

    [Fact]
    public void Metrics_CountStepsRowsLagAlertsAndCompensations_FromTheRecords()
    {
        var measured = new List<(string Instrument, double Value)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == MigrationTelemetry.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Measured<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == MigrationTelemetry.WaveTag && (string?)tag.Value == "w3")
                {
                    lock (measured)
                    {
                        measured.Add((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)));
                    }
                }
            }
        }

        listener.SetMeasurementEventCallback<long>(Measured);
        listener.SetMeasurementEventCallback<double>(Measured);
        listener.Start();
        using var metrics = new MigrationRecordMetrics();

        DateTimeOffset at = DateTimeOffset.UnixEpoch;
        metrics.Record(new MigrationRecord(at, "w3", MigrationRecordKinds.Step) { Database = "db", Step = "migrate", Status = "Started" });
        metrics.Record(new MigrationRecord(at, "w3", MigrationRecordKinds.Step) { Database = "db", Step = "migrate", Status = "Succeeded", DurationMs = 900, Rows = 600, Bytes = 4096 });
        metrics.Record(new MigrationRecord(at, "w3", MigrationRecordKinds.Progress) { Database = "db", Step = "monitor", Bytes = 10, LagSeconds = 2.5 });
        metrics.Record(new MigrationRecord(at, "w3", MigrationRecordKinds.Alert) { Database = "db", Status = "error", Error = "boom" });
        metrics.Record(new MigrationRecord(at, "w3", MigrationRecordKinds.Compensation) { Database = "db", Step = "DropTarget", Status = "Succeeded" });

        Assert.Equal(
            [("dmig.step.duration", 900), ("dmig.rows.copied", 600), ("dmig.bytes.copied", 4096), ("dmig.replication.lag", 2.5), ("dmig.alerts", 1), ("dmig.compensations", 1)],
            measured);
    }

    private static MigrationRecord Record(string wave) => new(new DateTimeOffset(2026, 12, 1, 3, 0, 0, TimeSpan.Zero), wave, MigrationRecordKinds.Step)
    {
        Database = "orders",
        Step = "cutover",
        Status = "Failed",
        DurationMs = 1250,
        Rows = 42,
        Bytes = 2048,
        LagSeconds = 0.5,
        Ticket = "CHG0030001",
    };
}
