using DurableMigration.Monitoring;
using DurableMigration.Providers.Monitoring;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Host.Hosting;

/// <summary>Appends each migration record as one JSON line to <c>&lt;data-dir&gt;/records.jsonl</c>, shared safely by every process on the data directory.</summary>
/// <remarks>
/// The processes that run orchestrations on one data directory (<c>dmig run</c> or <c>serve</c> holding the engine lock,
/// or several <c>dmig worker</c>s of an Azure Storage task hub) append through <see cref="SharedLogFile"/>, one
/// <c>write(2)</c> with <c>O_APPEND</c> per record, so lines never overwrite each other. The file is opened on the first
/// record. Never throws: a record that cannot be written is logged and dropped (<see cref="DroppedCount"/>).
/// </remarks>
internal sealed class RecordFileSink(string path, ILogger<RecordFileSink>? logger = null) : IMigrationRecordSink, IDisposable
{
    /// <summary>The file's name in the data directory.</summary>
    public const string FileName = "records.jsonl";

    private readonly Lock _gate = new();
    private SharedLogFile? _file;
    private long _dropped;
    private bool _disposed;

    /// <summary>Gets the file's path.</summary>
    public string Path { get; } = path;

    /// <summary>Gets how many records could not be written.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <inheritdoc/>
    public void Record(MigrationRecord record)
    {
        try
        {
            string line = MigrationRecordJson.Serialize(record);
            lock (_gate)
            {
                if (_disposed)
                {
                    Interlocked.Increment(ref _dropped);
                    return;
                }

                _file ??= new SharedLogFile(Path);
                _file.AppendLine(line);
            }
        }
#pragma warning disable CA1031 // Recording never fails a migration: the record is logged and dropped.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _dropped);
            if (logger is not null)
            {
                HostingLogs.RecordDropped(logger, Path, exception);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _file?.Dispose();
            _file = null;
        }
    }
}
