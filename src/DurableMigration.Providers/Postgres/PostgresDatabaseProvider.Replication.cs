using System.Diagnostics;
using DurableMigration.Manifest;
using Npgsql;

namespace DurableMigration.Providers.Postgres;

public sealed partial class PostgresDatabaseProvider
{
    /// <inheritdoc/>
    /// <remarks>
    /// Always: with replication (online, or an offline copy that records changes) the final sync waits for its last
    /// change; without it, the final sync copies everything again from the read-only source.
    /// </remarks>
    public bool SupportsChangeSync => true;

    /// <inheritdoc/>
    /// <remarks>
    /// Creates the publication, then the replication slot with an exported snapshot (<see cref="PostgresReplication.BeginAsync"/>),
    /// copies every moving table inside that snapshot (<see cref="CopyTablesAsync"/>: data, then keys, indexes and
    /// foreign keys), and only then subscribes the target (no initial copy: the slot streams every change committed
    /// after the snapshot). Partitioned tables are published through their root. A table that cannot be replicated (no
    /// primary key or replica identity, unlogged) fails the step before anything is created; assessment blocks such a
    /// wave earlier.
    /// </remarks>
    public async Task<DataCopyResult> StartReplicationAsync(MigrationEndpoints endpoints, IProgress<CopyProgress> progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(progress);
        var replication = Replication(endpoints);
        var tables = await PublishedTablesAsync(endpoints, cancellationToken).ConfigureAwait(false);
        DataCopyResult copied;
        await using (var snapshot = await replication.BeginAsync(endpoints.SourceConnection, endpoints.TargetConnection, tables, cancellationToken).ConfigureAwait(false))
        {
            copied = await CopyTablesAsync(endpoints, progress, snapshot.SnapshotName, cancellationToken).ConfigureAwait(false);
        }

        // After the snapshot's connection is closed: the subscription's walsender takes over the slot.
        await replication.SubscribeAsync(endpoints.SourceConnection, endpoints.TargetConnection, cancellationToken).ConfigureAwait(false);
        return copied;
    }

    /// <inheritdoc/>
    public async Task<ReplicationStatus> GetReplicationStatusAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var tables = await PublishedTablesAsync(endpoints, cancellationToken).ConfigureAwait(false);
        return await Replication(endpoints).GetStatusAsync(endpoints.SourceConnection, endpoints.TargetConnection, tables.Count, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// With the replication this migration started (its slot on the source, or its subscription still on the target):
    /// <see cref="PostgresReplication.FinishAsync"/> waits until the target has received the source's last change,
    /// syncs sequences and removes the replication; its time is the write-blocked window's. Without it (an offline copy
    /// that could not record changes, or a final sync whose earlier attempt already removed the replication), every
    /// table is copied again from the now read-only source (<see cref="ChangeSyncResult.FullCopy"/>), which is slow but
    /// loses nothing.
    /// </remarks>
    public async Task<ChangeSyncResult> SyncChangesAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var replication = Replication(endpoints);
        if (await replication.IsRecordingAsync(endpoints.SourceConnection, endpoints.TargetConnection, cancellationToken).ConfigureAwait(false)
            || await HasSubscriptionAsync(endpoints, cancellationToken).ConfigureAwait(false))
        {
            return await replication.FinishAsync(endpoints.SourceConnection, endpoints.TargetConnection, null, _options.FinalSyncTimeout, cancellationToken).ConfigureAwait(false);
        }

        var timer = Stopwatch.StartNew();
        var copied = await CopyTablesAsync(endpoints, new Progress<CopyProgress>(), snapshot: null, cancellationToken).ConfigureAwait(false);
        return new ChangeSyncResult(copied.Rows, copied.Rows, 0, [.. copied.Tables.Select(t => new TableSyncResult(t.Table, t.Rows, true))], timer.Elapsed, Final: true, FullCopy: true);
    }

    /// <summary>
    /// Offline copy: records changes by replication when the source and target allow it (the online checks of
    /// assessment find nothing blocking), so the final sync moves only what changed; otherwise a plain copy in one
    /// snapshot, and the final sync copies again.
    /// </summary>
    private async Task<DataCopyResult> CopyOfflineAsync(MigrationEndpoints endpoints, IProgress<CopyProgress> progress, CancellationToken cancellationToken)
    {
        if (_options.RecordChangesOffline)
        {
            var online = await AssessAsync(endpoints with { Mode = MigrationMode.Online }, cancellationToken).ConfigureAwait(false);
            if (!online.IsBlocked)
            {
                return await StartReplicationAsync(endpoints, progress, cancellationToken).ConfigureAwait(false);
            }

            PgLogs.NotRecording(_logger, endpoints.Database, online.Findings.First(f => f.Severity == FindingSeverity.Blocking).Rule);
        }

        return await CopyTablesAsync(endpoints, progress, snapshot: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes this migration's replication from both sides; a source that cannot be reached is logged (its slot then stays until a retry), not fatal, so the target can still be dropped.</summary>
    private async Task RemoveReplicationAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken)
    {
        try
        {
            await Replication(endpoints).RemoveAsync(endpoints.SourceConnection, endpoints.TargetConnection, cancellationToken).ConfigureAwait(false);
        }
        catch (DatabaseProviderException ex) when (!cancellationToken.IsCancellationRequested)
        {
            PgLogs.ReplicationCleanupFailed(_logger, endpoints.Database, "source", ex.Message);
        }
    }

    private async Task<bool> HasSubscriptionAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken)
    {
        var target = Target(endpoints);
        await using var admin = await target.OpenAdminAsync(cancellationToken).ConfigureAwait(false);
        return await PgSql.ScalarAsync<bool>(
            admin,
            "SELECT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = @name)",
            cancellationToken,
            ("name", ReplicationNames.For(endpoints.SourceConnection, endpoints.TargetConnection).Subscription)).ConfigureAwait(false);
    }

    /// <summary>The tables a publication lists: every moving table with rows of its own, partitions through their root.</summary>
    private async Task<IReadOnlyList<string>> PublishedTablesAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await Source(endpoints).OpenAsync(cancellationToken).ConfigureAwait(false);
        var tables = await PgCatalog.ReadTablesAsync(connection, cancellationToken).ConfigureAwait(false);
        return [.. tables
            .Where(t => t.Kind is 'r' or 'p' && PgCatalog.Includes(endpoints.Tables, t))
            .Select(t => t.RootName is null ? PgSql.Quote(t.Schema, t.Name) : PgSql.Quote(t.RootSchema!, t.RootName))
            .Distinct(StringComparer.Ordinal)];
    }

    private PostgresReplication Replication(MigrationEndpoints endpoints) => new(endpoints.Database, _logger);
}
