using System.Threading.Channels;
using DurableMigration.Monitoring;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableMigration.Providers.Monitoring;

/// <summary>
/// A record sink that buffers records and uploads them in batches with a <see cref="LogsIngestionClient"/> in the background.
/// </summary>
/// <remarks>
/// <see cref="Record"/> never blocks and never throws: the buffer is bounded and drops its oldest record when full
/// (<see cref="DroppedCount"/>). A background loop sends a batch when <see cref="BufferedLogsIngestionSinkOptions.MaxBatchSize"/> records
/// are waiting or <see cref="BufferedLogsIngestionSinkOptions.BatchWindow"/> has passed, retrying failed uploads with a doubling delay, then
/// logging and dropping them (<see cref="FailedCount"/>). <see cref="FlushAsync"/> and <see cref="DisposeAsync"/> send what is buffered.
/// </remarks>
public sealed class BufferedLogsIngestionSink : IMigrationRecordSink, IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(1);

    private readonly LogsIngestionClient _client;
    private readonly BufferedLogsIngestionSinkOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<MigrationRecord> _channel;
    private readonly SemaphoreSlim _uploading = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private long _dropped;
    private long _failed;
    private long _sent;
    private int _disposed;

    /// <summary>Initializes the sink and starts its background loop.</summary>
    /// <param name="client">The client that uploads the batches.</param>
    /// <param name="options">Buffer, batching and retry options; the defaults when <see langword="null"/>.</param>
    /// <param name="logger">Where failures are logged.</param>
    public BufferedLogsIngestionSink(LogsIngestionClient client, BufferedLogsIngestionSinkOptions? options = null, ILogger<BufferedLogsIngestionSink>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _options = options ?? new BufferedLogsIngestionSinkOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Capacity, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxBatchSize, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxAttempts, 1, nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _channel = Channel.CreateBounded<MigrationRecord>(
            new BoundedChannelOptions(_options.Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = false, SingleWriter = false },
            _ => Interlocked.Increment(ref _dropped));
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Gets how many records were dropped because the buffer was full (or the sink disposed).</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Gets how many records were dropped because their upload kept failing.</summary>
    public long FailedCount => Interlocked.Read(ref _failed);

    /// <summary>Gets how many records the service accepted.</summary>
    public long SentCount => Interlocked.Read(ref _sent);

    /// <inheritdoc />
    public void Record(MigrationRecord record)
    {
        if (record is null || !_channel.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Sends every record buffered now (with retries), then returns; never throws but for cancellation of the wait.</summary>
    /// <param name="cancellationToken">Bounds the flush; records not sent by then stay buffered.</param>
    /// <returns>A task that completes when the buffer was sent.</returns>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _uploading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (await SendBatchAsync(cancellationToken).ConfigureAwait(false))
            {
            }
        }
        finally
        {
            _uploading.Release();
        }
    }

    /// <summary>Stops taking records and sends what is buffered, for at most <see cref="BufferedLogsIngestionSinkOptions.FlushTimeout"/>.</summary>
    /// <returns>A task that completes when the loop stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _channel.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(_options.FlushTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            MonitoringLogs.FlushTimedOut(_logger, _options.FlushTimeout, _channel.Reader.Count);
            await _stopping.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
#pragma warning disable CA1031 // Disposal never throws: a loop that died is reported with what it left unsent.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            MonitoringLogs.UploadLoopFailed(_logger, exception, _channel.Reader.Count);
        }

        Interlocked.Add(ref _dropped, _channel.Reader.Count);
        _stopping.Dispose();
        _uploading.Dispose();
    }

    private async Task RunAsync()
    {
        CancellationToken stopping = _stopping.Token;
        ChannelReader<MigrationRecord> reader = _channel.Reader;
        TimeProvider clock = _options.TimeProvider ?? TimeProvider.System;
        try
        {
            while (await reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                // Wait for a full batch, the window's end, or the sink's disposal.
                DateTimeOffset deadline = clock.GetUtcNow() + _options.BatchWindow;
                while (reader.Count < _options.MaxBatchSize && !reader.Completion.IsCompleted && _disposed == 0)
                {
                    // One clock reading per check: with two, the window could end between them, and a negative delay
                    // threw out of this loop, which then sent nothing more (records lost on a loaded machine).
                    TimeSpan left = deadline - clock.GetUtcNow();
                    if (left <= TimeSpan.Zero)
                    {
                        break;
                    }

                    await Task.Delay(left < PollInterval ? left : PollInterval, stopping).ConfigureAwait(false);
                }

                await _uploading.WaitAsync(stopping).ConfigureAwait(false);
                try
                {
                    await SendBatchAsync(stopping).ConfigureAwait(false);
                }
                finally
                {
                    _uploading.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Takes one batch from the buffer and uploads it; false when the buffer was empty.</summary>
    private async Task<bool> SendBatchAsync(CancellationToken cancellationToken)
    {
        var batch = new List<MigrationRecord>(Math.Min(_options.MaxBatchSize, 1024));
        while (batch.Count < _options.MaxBatchSize && _channel.Reader.TryRead(out MigrationRecord? record))
        {
            batch.Add(record);
        }

        if (batch.Count == 0)
        {
            return false;
        }

        TimeSpan delay = _options.RetryDelay;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await _client.UploadAsync(batch, cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _sent, batch.Count);
                return true;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Interlocked.Add(ref _failed, batch.Count);
                throw;
            }
#pragma warning disable CA1031 // Whatever the upload throws, the records are retried or dropped: recording never fails a migration.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                bool retriable = exception is not (LogsIngestionException { IsRetriable: false } or ArgumentException);
                if (!retriable || attempt >= _options.MaxAttempts)
                {
                    Interlocked.Add(ref _failed, batch.Count);
                    MonitoringLogs.UploadDropped(_logger, batch.Count, exception);
                    return true;
                }

                MonitoringLogs.UploadRetrying(_logger, batch.Count, attempt, _options.MaxAttempts, exception);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = delay * 2 > MaxRetryDelay ? MaxRetryDelay : delay * 2;
            }
        }
    }
}
