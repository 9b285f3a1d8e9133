using System.Text;
using System.Threading.Channels;
using DurableMigration.Monitoring;
using DurableMigration.Providers.Monitoring;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Host.Hosting;

/// <summary>Appends each migration record as one JSON line to <c>&lt;data-dir&gt;/records.jsonl</c>, shared safely by every process on the data directory.</summary>
/// <remarks>
/// <para>The processes that run orchestrations on one data directory (<c>dmig run</c> or <c>serve</c> holding the engine lock,
/// or several <c>dmig worker</c>s of an Azure Storage task hub) append through <see cref="SharedLogFile"/> (<c>O_APPEND</c>),
/// whole lines per <c>write(2)</c>, so lines never overwrite each other. The file is opened on the first record.</para>
/// <para><see cref="Record"/> only enqueues: a background loop serializes and writes what has arrived in one write, so the
/// orchestrator thread that logs a record never waits for the disk. Disposal writes what is queued. Never throws: a
/// record that cannot be written is logged and dropped (<see cref="DroppedCount"/>).</para>
/// </remarks>
internal sealed class RecordFileSink : IMigrationRecordSink, IAsyncDisposable, IDisposable
{
    /// <summary>The file's name in the data directory.</summary>
    public const string FileName = "records.jsonl";

    /// <summary>The most bytes of one write: whole lines, so a reader never sees half a record for long.</summary>
    private const int MaxWriteBytes = 64 * 1024;

    private readonly Channel<MigrationRecord> _queue = Channel.CreateUnbounded<MigrationRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger? _logger;
    private readonly Task _writer;
    private SharedLogFile? _file;
    private long _dropped;

    /// <summary>Initializes the sink and starts its writer.</summary>
    /// <param name="path">The file.</param>
    /// <param name="logger">Where write failures are logged.</param>
    public RecordFileSink(string path, ILogger<RecordFileSink>? logger = null)
    {
        Path = path;
        _logger = logger;
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>Gets the file's path.</summary>
    public string Path { get; }

    /// <summary>Gets how many records could not be written.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <inheritdoc/>
    public void Record(MigrationRecord record)
    {
        if (record is null || !_queue.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Stops taking records and writes what is queued.</summary>
    /// <returns>A task that completes when the queue is written.</returns>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        _file?.Dispose();
    }

    /// <inheritdoc/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task WriteAsync()
    {
        var lines = new StringBuilder();
        ChannelReader<MigrationRecord> reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            int count = 0;
            while (lines.Length < MaxWriteBytes && reader.TryRead(out MigrationRecord? record))
            {
                lines.Append(MigrationRecordJson.Serialize(record)).Append('\n');
                count++;
            }

            try
            {
                _file ??= new SharedLogFile(Path);
                _file.Append(lines.ToString());
            }
#pragma warning disable CA1031 // Recording never fails a migration: the records are logged and dropped.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Interlocked.Add(ref _dropped, count);
                if (_logger is not null)
                {
                    HostingLogs.RecordDropped(_logger, Path, exception);
                }
            }

            lines.Clear();
        }
    }
}
