using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Host.Hosting;

/// <summary>Writes log lines to <c>&lt;data-dir&gt;/logs/dmig-yyyyMMdd.log</c>, so a wave's story survives the terminal.</summary>
/// <remarks>
/// Log lines never carry connection strings: the runtime logs no payloads and providers log references only. A line
/// written inside an activity carries its orchestration instance as <c>{instance wave:db}</c> after the category, which
/// <c>dmig logs</c> filters on.
/// </remarks>
internal sealed class FileLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly SharedLogFile _file;
    private readonly Lock _lock = new();
    private IExternalScopeProvider? _scopes;

    public FileLoggerProvider(string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, $"dmig-{DateTime.UtcNow.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}.log");
        _file = new SharedLogFile(path);
    }

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <summary>The innermost scope's <c>InstanceId</c> (the engine opens one around each activity), or <c>null</c>.</summary>
    private string? ScopeInstanceId()
    {
        // Scopes are visited outermost first, so the innermost instance wins.
        var found = new StrongBox<string?>();
        _scopes?.ForEachScope(
            static (scope, box) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> pairs
                    && pairs.FirstOrDefault(p => p.Key == "InstanceId").Value is string id)
                {
                    box.Value = id;
                }
            },
            found);
        return found.Value;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _file.Dispose();
        }
    }

    private void Write(string line)
    {
        lock (_lock)
        {
            _file.AppendLine(line);
        }
    }

    private sealed class FileLogger(FileLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string instance = owner.ScopeInstanceId() is { } id ? $" {{instance {id}}}" : string.Empty;
            string line = string.Create(CultureInfo.InvariantCulture,
                $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {logLevel,-11} {category}[{eventId.Id}]{instance} {formatter(state, exception)}");
            owner.Write(exception is null ? line : $"{line}{Environment.NewLine}    {exception.GetType().FullName}: {exception.Message}");
        }
    }
}
