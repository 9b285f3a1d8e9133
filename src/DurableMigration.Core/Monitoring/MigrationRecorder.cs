using DurableMigration.Migration;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Monitoring;

/// <summary>
/// Emits <see cref="MigrationRecord"/>s from orchestrator code: each is logged as the state of one log entry
/// (<see cref="RecordEventId"/>, category <see cref="Category"/>) through the context's replay-safe logger.
/// </summary>
/// <remarks>
/// <para>Replay-safe: a record is logged when the orchestrator reaches it for real, never again on replay, and stamped with
/// <see cref="TaskOrchestrationContext.CurrentUtcDateTime"/>, so it costs no activity and no history event. A logger
/// provider that knows the record type (the providers' <c>MigrationRecordLoggerProvider</c>) hands it to record sinks;
/// any other provider prints the readable line of <see cref="Format"/>.</para>
/// <para>Records carry names, counts and the error text the orchestration already shows: never a connection string.</para>
/// </remarks>
public sealed class MigrationRecorder
{
    /// <summary>The log category of the records.</summary>
    public const string Category = "DurableMigration.Records";

    /// <summary>The event id of a record's log entry.</summary>
    public static readonly EventId RecordEventId = new(6100, "MigrationRecord");

    private static readonly Func<MigrationRecord, Exception?, string> Formatter = (record, _) => Format(record);

    private readonly TaskOrchestrationContext _context;
    private readonly ILogger _logger;
    private readonly string _wave;
    private readonly string? _ticket;

    /// <summary>Initializes a recorder of one orchestration execution.</summary>
    /// <param name="context">The orchestration's context: its replay-safe logger and its clock.</param>
    /// <param name="wave">The wave.</param>
    /// <param name="ticket">The change ticket the wave runs under, if any (not a secret).</param>
    public MigrationRecorder(TaskOrchestrationContext context, string wave, string? ticket)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        _logger = context.CreateReplaySafeLogger(Category);
        _wave = wave;
        _ticket = ticket;
    }

    /// <summary>A wave (or its rollback) started or finished; <paramref name="status"/> is <c>Started</c> or the outcome.</summary>
    public void Wave(string status, long? durationMs = null, string? step = null, string? error = null) =>
        Write(MigrationRecordKinds.Wave, r => r with { Step = step, Status = status, DurationMs = durationMs, Error = error });

    /// <summary>A step of a database started.</summary>
    public void StepStarted(string database, MigrationStep step) =>
        Write(MigrationRecordKinds.Step, r => r with { Database = database, Step = MigrationNames.StepName(step), Status = "Started" });

    /// <summary>A step of a database ended: its timing gives the status and duration.</summary>
    public void StepEnded(string database, StepTiming timing, long? rows = null, long? bytes = null, string? error = null)
    {
        ArgumentNullException.ThrowIfNull(timing);
        Write(MigrationRecordKinds.Step, r => r with
        {
            Database = database,
            Step = MigrationNames.StepName(timing.Step),
            Status = timing.Succeeded ? "Succeeded" : "Failed",
            DurationMs = (long)(timing.EndedAt - timing.StartedAt).TotalMilliseconds,
            Rows = rows,
            Bytes = bytes,
            Error = timing.Succeeded ? null : error,
        });
    }

    /// <summary>A progress sample: the copy's rows and bytes, or the replication's lag.</summary>
    public void Progress(string database, MigrationStep step, long? rows, long? bytes, double? lagSeconds) =>
        Write(MigrationRecordKinds.Progress, r => r with { Database = database, Step = MigrationNames.StepName(step), Status = "Running", Rows = rows, Bytes = bytes, LagSeconds = lagSeconds });

    /// <summary>An alert: <paramref name="level"/> is the alert's kind (<c>error</c>, <c>duration</c>, <c>compensationFailed</c>, ...).</summary>
    public void Alert(string? database, string level, string message) =>
        Write(MigrationRecordKinds.Alert, r => r with { Database = database, Status = level, Error = message });

    /// <summary>A compensation ran (or was refused, or not run).</summary>
    public void Compensation(string database, CompensationRecord compensation)
    {
        ArgumentNullException.ThrowIfNull(compensation);
        string status = compensation.Refused ? "Refused" : compensation.Succeeded ? "Succeeded" : "Failed";
        Write(MigrationRecordKinds.Compensation, r => r with { Database = database, Step = compensation.Compensation.ToString(), Status = status, Error = compensation.Error });
    }

    /// <summary>The record as a readable line: what, where, how it went; no connection strings (records hold none).</summary>
    /// <param name="record">The record.</param>
    /// <returns>The line.</returns>
    public static string Format(MigrationRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var line = new System.Text.StringBuilder();
        line.Append(record.Kind).Append(' ').Append(record.Wave);
        if (record.Database is not null)
        {
            line.Append('/').Append(record.Database);
        }

        if (record.Step is not null)
        {
            line.Append(' ').Append(record.Step);
        }

        if (record.Status is not null)
        {
            line.Append(' ').Append(record.Status);
        }

        System.Globalization.CultureInfo invariant = System.Globalization.CultureInfo.InvariantCulture;
        if (record.DurationMs is { } ms)
        {
            line.Append(invariant, $" in {ms} ms");
        }

        if (record.Rows is { } rows)
        {
            line.Append(invariant, $", {rows} rows");
        }

        if (record.Bytes is { } bytes)
        {
            line.Append(invariant, $", {bytes} bytes");
        }

        if (record.LagSeconds is { } lag)
        {
            line.Append(invariant, $", lag {lag:0.###} s");
        }

        if (record.Ticket is not null)
        {
            line.Append(" (ticket ").Append(record.Ticket).Append(')');
        }

        if (record.Error is not null)
        {
            line.Append(": ").Append(record.Error);
        }

        return line.ToString();
    }

#pragma warning disable DURABLE0010 // _logger is the context's replay-safe logger (the constructor creates it); the analyzer only sees a field.
    private void Write(string kind, Func<MigrationRecord, MigrationRecord> fill)
    {
        // Nothing is built when no provider listens (and the replay-safe logger says no while replaying).
        if (!_logger.IsEnabled(LogLevel.Information) || _context.IsReplaying)
        {
            return;
        }

        var at = new DateTimeOffset(DateTime.SpecifyKind(_context.CurrentUtcDateTime, DateTimeKind.Utc));
        MigrationRecord record = fill(new MigrationRecord(at, _wave, kind) { Ticket = _ticket });
        _logger.Log(LogLevel.Information, RecordEventId, record, null, Formatter);
    }
#pragma warning restore DURABLE0010
}
