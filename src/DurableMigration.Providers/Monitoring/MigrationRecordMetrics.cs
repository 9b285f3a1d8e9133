using System.Diagnostics.Metrics;
using DurableMigration.Monitoring;

namespace DurableMigration.Providers.Monitoring;

/// <summary>A record sink that turns migration records into OpenTelemetry metrics on the meter <see cref="MigrationTelemetry.MeterName"/>.</summary>
/// <remarks>
/// <para>Instruments (tags <c>dmig.wave</c>, <c>dmig.database</c>, <c>dmig.step</c>, <c>dmig.status</c> where they apply):</para>
/// <list type="bullet">
/// <item><c>dmig.step.duration</c> (histogram, ms): each step that ended, succeeded or failed;</item>
/// <item><c>dmig.rows.copied</c> and <c>dmig.bytes.copied</c> (counters): what each finished copy moved (the migrate step's end);</item>
/// <item><c>dmig.replication.lag</c> (histogram, s): each replication poll of an online migration;</item>
/// <item><c>dmig.alerts</c> (counter, tag <c>dmig.alert</c> with the alert's kind) and <c>dmig.compensations</c> (counter).</item>
/// </list>
/// <para>Fed only from the records, so the numbers are those of Log Analytics; no timing code of its own. Never throws.</para>
/// </remarks>
public sealed class MigrationRecordMetrics : IMigrationRecordSink, IDisposable
{
    private readonly Meter _meter;
    private readonly Histogram<double> _stepDuration;
    private readonly Counter<long> _rows;
    private readonly Counter<long> _bytes;
    private readonly Histogram<double> _lag;
    private readonly Counter<long> _alerts;
    private readonly Counter<long> _compensations;

    /// <summary>Initializes the instruments on a meter from <paramref name="meterFactory"/>, or on a meter of its own.</summary>
    /// <param name="meterFactory">The host's meter factory (<c>AddMetrics</c>); <see langword="null"/> for a meter this instance owns.</param>
    public MigrationRecordMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MigrationTelemetry.MeterName) ?? new Meter(MigrationTelemetry.MeterName);
        _stepDuration = _meter.CreateHistogram<double>("dmig.step.duration", "ms", "How long each migration step took, succeeded or failed.");
        _rows = _meter.CreateCounter<long>("dmig.rows.copied", "{row}", "Rows copied by finished data copies.");
        _bytes = _meter.CreateCounter<long>("dmig.bytes.copied", "By", "Bytes copied by finished data copies.");
        _lag = _meter.CreateHistogram<double>("dmig.replication.lag", "s", "Replication lag of online migrations, per poll.");
        _alerts = _meter.CreateCounter<long>("dmig.alerts", "{alert}", "Alerts raised by migrations.");
        _compensations = _meter.CreateCounter<long>("dmig.compensations", "{compensation}", "Compensations run by rollbacks.");
    }

    /// <inheritdoc/>
    public void Record(MigrationRecord record)
    {
        if (record is null)
        {
            return;
        }

        var wave = new KeyValuePair<string, object?>(MigrationTelemetry.WaveTag, record.Wave);
        var database = new KeyValuePair<string, object?>(MigrationTelemetry.DatabaseTag, record.Database);
        var step = new KeyValuePair<string, object?>(MigrationTelemetry.StepTag, record.Step);
        var status = new KeyValuePair<string, object?>("dmig.status", record.Status);
        switch (record.Kind)
        {
            case MigrationRecordKinds.Step when record.DurationMs is { } ms:
                _stepDuration.Record(ms, wave, database, step, status);
                if (record.Rows is { } rows && record.Step == "migrate")
                {
                    _rows.Add(rows, wave, database);
                }

                if (record.Bytes is { } bytes && record.Step == "migrate")
                {
                    _bytes.Add(bytes, wave, database);
                }

                break;
            case MigrationRecordKinds.Progress when record.LagSeconds is { } lag:
                _lag.Record(lag, wave, database);
                break;
            case MigrationRecordKinds.Alert:
                _alerts.Add(1, wave, database, new KeyValuePair<string, object?>("dmig.alert", record.Status));
                break;
            case MigrationRecordKinds.Compensation:
                _compensations.Add(1, wave, database, step, status);
                break;
            default:
                break;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();
}
