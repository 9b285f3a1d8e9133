using Microsoft.Extensions.Logging;

namespace DurableMigration.Orchestration;

/// <summary>A logger that drops writes while its orchestration replays, so each line is written once.</summary>
public sealed class ReplaySafeLogger : ILogger
{
    private readonly IOrchestrationContext _context;
    private readonly ILogger _inner;

    /// <summary>Wraps <paramref name="inner"/> for use by the orchestration behind <paramref name="context"/>.</summary>
    public ReplaySafeLogger(IOrchestrationContext context, ILogger inner)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(inner);
        _context = context;
        _inner = inner;
    }

    /// <inheritdoc/>
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => _inner.BeginScope(state);

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel) => !_context.IsReplaying && _inner.IsEnabled(logLevel);

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!_context.IsReplaying)
        {
            _inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
