using Microsoft.Extensions.Logging;

namespace DurableMigration.Engine.Execution;

/// <summary>The logger factory an orchestration's code logs through: holds a turn's lines until the turn commits.</summary>
/// <remarks>
/// Replay-safe loggers keep a replay from logging twice; this keeps a turn that does not commit (a lost lock, a
/// store fault, a worker's own turn that gives way to the queue) from logging lines that its retry logs again. Lines
/// of a committed turn are written, in order, as soon as the commit returns; those of a turn that did not are dropped.
/// </remarks>
internal sealed class TurnLogBuffer(ILoggerFactory inner) : ILoggerFactory
{
    private readonly List<Action> _pending = [];

    /// <summary>Drops lines of a turn that did not commit; called as a turn starts.</summary>
    public void Clear() => _pending.Clear();

    /// <summary>Writes the held lines, in order, and forgets them.</summary>
    public void Flush()
    {
        foreach (var write in _pending)
        {
            write();
        }

        _pending.Clear();
    }

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new HeldLogger(inner.CreateLogger(categoryName), _pending);

    /// <inheritdoc/>
    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <inheritdoc/>
    public void Dispose()
    {
        // The host's factory is not this one's to dispose.
    }

    private sealed class HeldLogger(ILogger logger, List<Action> pending) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => logger.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logger.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logger.IsEnabled(logLevel))
            {
                pending.Add(() => logger.Log(logLevel, eventId, state, exception, formatter));
            }
        }
    }
}
