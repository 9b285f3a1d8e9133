using System.Text;
using System.Text.Json;
using DurableMigration.Monitoring;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableMigration.Providers.Monitoring;

/// <summary>A record sink that appends each record as one JSON line (the Log Analytics row shape) to a file, such as <c>{data-dir}/records.jsonl</c>.</summary>
/// <remarks>Thread-safe; never throws: a record that cannot be written is logged and dropped (<see cref="DroppedCount"/>).</remarks>
public sealed class JsonLinesRecordSink : IMigrationRecordSink
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private long _dropped;

    /// <summary>Initializes a sink that appends to <paramref name="path"/> (its directory is created when missing).</summary>
    /// <param name="path">The file.</param>
    /// <param name="logger">Where write failures are logged.</param>
    public JsonLinesRecordSink(string path, ILogger<JsonLinesRecordSink>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the file's full path.</summary>
    public string Path { get; }

    /// <summary>Gets how many records could not be written.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <inheritdoc />
    public void Record(MigrationRecord record)
    {
        if (record is null)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        try
        {
            string line = JsonSerializer.Serialize(record, MigrationRecordJsonContext.Default.MigrationRecord) + "\n";
            lock (_gate)
            {
                string? directory = System.IO.Path.GetDirectoryName(Path);
                if (directory is not null)
                {
                    Directory.CreateDirectory(directory);
                }

                File.AppendAllText(Path, line, Utf8NoBom);
            }
        }
#pragma warning disable CA1031 // Recording never fails a migration: the record is logged and dropped.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _dropped);
            MonitoringLogs.AppendFailed(_logger, Path, exception);
        }
    }
}
