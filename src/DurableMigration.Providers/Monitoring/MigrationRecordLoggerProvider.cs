using DurableMigration.Monitoring;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.Monitoring;

/// <summary>
/// A logger provider that forwards the migration records the orchestrations log (<see cref="MigrationRecorder"/>: a
/// <see cref="MigrationRecord"/> as the log entry's state, category <see cref="MigrationRecorder.Category"/>) to record sinks.
/// </summary>
/// <remarks>
/// Its loggers are enabled for the records' category only, so every other log line costs one string comparison. The sinks
/// come from <paramref name="sinks"/> on the first record, not before: a sink may itself log (through the logger factory
/// this provider belongs to), and a process that runs no orchestration never opens a file or starts an upload loop.
/// Sinks never block nor throw (<see cref="IMigrationRecordSink"/>).
/// </remarks>
/// <param name="sinks">Gives the sinks, once, when the first record arrives.</param>
public sealed class MigrationRecordLoggerProvider(Func<IReadOnlyList<IMigrationRecordSink>> sinks) : ILoggerProvider
{
    private readonly Lazy<IReadOnlyList<IMigrationRecordSink>> _sinks = new(sinks ?? throw new ArgumentNullException(nameof(sinks)), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) =>
        string.Equals(categoryName, MigrationRecorder.Category, StringComparison.Ordinal) ? new RecordLogger(this) : NoRecords.Instance;

    /// <inheritdoc/>
    public void Dispose()
    {
        // The sinks belong to whoever made them (the service provider flushes and disposes them).
    }

    private void Forward(MigrationRecord record)
    {
        foreach (IMigrationRecordSink sink in _sinks.Value)
        {
            sink.Record(record);
        }
    }

    private sealed class RecordLogger(MigrationRecordLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (state is MigrationRecord record)
            {
                owner.Forward(record);
            }
        }
    }

    /// <summary>The logger of every other category: never enabled.</summary>
    private sealed class NoRecords : ILogger
    {
        public static readonly NoRecords Instance = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => false;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }
    }
}
