using System.Globalization;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Host.Hosting;

/// <summary>Writes log lines to <c>&lt;data-dir&gt;/logs/dmig-yyyyMMdd.log</c>, so a wave's story survives the terminal.</summary>
/// <remarks>Log lines never carry connection strings: the runtime logs no payloads and providers log references only.</remarks>
internal sealed class FileLoggerProvider : ILoggerProvider
{
    private readonly StreamWriter _writer;
    private readonly Lock _lock = new();

    public FileLoggerProvider(string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, $"dmig-{DateTime.UtcNow.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}.log");
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose()
    {
        lock (_lock)
        {
            _writer.Dispose();
        }
    }

    private void Write(string line)
    {
        lock (_lock)
        {
            _writer.WriteLine(line);
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

            string line = string.Create(CultureInfo.InvariantCulture,
                $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {logLevel,-11} {category}[{eventId.Id}] {formatter(state, exception)}");
            owner.Write(exception is null ? line : $"{line}{Environment.NewLine}    {exception.GetType().FullName}: {exception.Message}");
        }
    }
}
