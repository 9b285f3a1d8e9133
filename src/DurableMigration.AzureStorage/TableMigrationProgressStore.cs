using System.Collections.Concurrent;
using System.Threading.Channels;
using Azure;
using Azure.Data.Tables;
using DurableMigration.Migration;
using DurableMigration.Providers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableMigration.AzureStorage;

/// <summary>Copy progress in a table of the app's storage account, so the monitor reads it on whichever instance runs its activity.</summary>
/// <remarks>
/// <para>
/// One entity per wave and database (partition key the wave, row key the database, both escaped), replaced on every
/// write: the latest report wins. Progress is informational; a lost write only leaves the monitor one report behind.
/// </para>
/// <para>
/// <see cref="Report"/> is called from the copy's own thread, inside the provider's copy loop, so it never waits for the
/// table: it keeps the latest value per database and marks it dirty. One background writer takes dirty databases one at a
/// time and writes each one's latest value, so at most one write is in flight (and so at most one per database); the
/// reports that arrive meanwhile coalesce into the next write. After each pass it waits <see
/// cref="TableMigrationProgressStoreOptions.WriteInterval"/>, so a fast copy costs at most one write per database per
/// interval. A failed write is logged and its value kept for the next pass, unless a newer one arrived.
/// <see cref="DisposeAsync"/> flushes what is dirty, waiting at most <see cref="TableMigrationProgressStoreOptions.FlushTimeout"/>.
/// </para>
/// </remarks>
public sealed class TableMigrationProgressStore : IMigrationProgressStore, IAsyncDisposable
{
    private readonly TableClient _table;
    private readonly TableOnFirstUse _tableCreation;
    private readonly TableMigrationProgressStoreOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<ProgressKey, CopyProgress> _latest = new();
    private readonly Channel<ProgressKey> _dirty = Channel.CreateUnbounded<ProgressKey>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _flushing = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly Task _writer;

    /// <summary>Initializes the store over the table <paramref name="service"/> holds under <see cref="TableMigrationProgressStoreOptions.TableName"/>, created on first use.</summary>
    /// <param name="service">The storage account's table service.</param>
    /// <param name="options">Table name, write interval and flush timeout; the defaults when <c>null</c>.</param>
    /// <param name="logger">Where failed writes are logged.</param>
    public TableMigrationProgressStore(TableServiceClient service, TableMigrationProgressStoreOptions? options = null, ILogger<TableMigrationProgressStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        _options = options ?? new TableMigrationProgressStoreOptions();
        _table = service.GetTableClient(_options.TableName);
        _tableCreation = new TableOnFirstUse(_table);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Gets the table the progress is kept in.</summary>
    public string TableName => _table.Name;

    /// <inheritdoc/>
    public void Report(string waveId, string database, CopyProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var key = new ProgressKey(waveId, database);
        // Only the report that makes the database dirty queues it; later ones replace the value the writer will take.
        bool queued = false;
        _latest.AddOrUpdate(key, _ => { queued = true; return progress; }, (_, _) => progress);
        if (queued)
        {
            _dirty.Writer.TryWrite(key);
        }
    }

    /// <inheritdoc/>
    public async Task<CopyProgress?> GetAsync(string waveId, string database, CancellationToken cancellationToken = default)
    {
        await _tableCreation.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var key = new ProgressKey(waveId, database);
        var entity = await _table.GetEntityIfExistsAsync<TableEntity>(key.PartitionKey, key.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return entity.HasValue && entity.Value is { } found ? FromEntity(found) : null;
    }

    /// <summary>Writes what is dirty, then stops the writer; waits at most <see cref="TableMigrationProgressStoreOptions.FlushTimeout"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_dirty.Writer.TryComplete())
        {
            // Skip the wait between passes, and give up on writes that outlast the timeout (the table may be unreachable).
            await _flushing.CancelAsync().ConfigureAwait(false);
            _abandon.CancelAfter(_options.FlushTimeout);
            await _writer.ConfigureAwait(false);
            _flushing.Dispose();
            _abandon.Dispose();
            _tableCreation.Dispose();
        }
    }

    /// <summary>The entity that holds <paramref name="progress"/> of a database.</summary>
    internal static TableEntity ToEntity(string waveId, string database, CopyProgress progress)
    {
        var key = new ProgressKey(waveId, database);
        return new TableEntity(key.PartitionKey, key.RowKey)
        {
            ["Wave"] = waveId,
            ["Database"] = database,
            ["Table"] = progress.Table,
            ["RowsCopied"] = progress.RowsCopied,
            ["RowsTotal"] = progress.RowsTotal,
            ["BytesCopied"] = progress.BytesCopied,
        };
    }

    private static CopyProgress FromEntity(TableEntity entity) => new(
        entity.GetString("Table") ?? string.Empty,
        entity.GetInt64("RowsCopied") ?? 0,
        entity.GetInt64("RowsTotal") ?? 0,
        entity.GetInt64("BytesCopied") ?? 0);

    private async Task WriteLoopAsync()
    {
        var reader = _dirty.Reader;
        // WaitToReadAsync turns false once disposal completed the channel and every queued database was written.
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var key))
            {
                if (_latest.TryRemove(key, out var progress))
                {
                    await WriteAsync(key, progress).ConfigureAwait(false);
                }
            }

            try
            {
                await Task.Delay(_options.WriteInterval, _flushing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_flushing.IsCancellationRequested)
            {
                // Disposing: flush the rest at once.
            }
        }
    }

    private async Task WriteAsync(ProgressKey key, CopyProgress progress)
    {
        try
        {
            await _tableCreation.EnsureCreatedAsync(_abandon.Token).ConfigureAwait(false);
            await _table.UpsertEntityAsync(ToEntity(key.WaveId, key.Database, progress), TableUpdateMode.Replace, _abandon.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            ProgressStoreLogs.FlushAbandoned(_logger, key.WaveId, key.Database, _table.Name);
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or HttpRequestException or TimeoutException or IOException)
        {
            ProgressStoreLogs.WriteFailed(_logger, ex, key.WaveId, key.Database, _table.Name);
            // Azure.Core gives up on a transport failure with an AggregateException of its tries. Keep the value for the
            // next pass unless a newer report replaced it; nothing is queued once disposal began.
            if (_latest.TryAdd(key, progress))
            {
                _dirty.Writer.TryWrite(key);
            }
        }
    }

    /// <summary>A database of a wave, and its table keys (escaped: a key may not hold <c>/ \ # ?</c>).</summary>
    private readonly record struct ProgressKey(string WaveId, string Database)
    {
        public string PartitionKey => Uri.EscapeDataString(WaveId);

        public string RowKey => Uri.EscapeDataString(Database);
    }
}

/// <summary>Settings of <see cref="TableMigrationProgressStore"/>.</summary>
public sealed record TableMigrationProgressStoreOptions
{
    /// <summary>The table's name unless configured otherwise.</summary>
    public const string DefaultTableName = "migrationprogress";

    /// <summary>Gets the table the progress is kept in (created if missing).</summary>
    public string TableName { get; init; } = DefaultTableName;

    /// <summary>Gets the pause between the writer's passes: at most one write per database per interval.</summary>
    public TimeSpan WriteInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets how long disposal waits for the last writes before it gives them up.</summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
