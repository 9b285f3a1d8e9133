using Npgsql;

namespace DurableMigration.Providers.Postgres;

public sealed partial class PostgresDatabaseProvider
{
    /// <inheritdoc/>
    /// <remarks>
    /// First removes the replication of this migration (<see cref="ReplicationNames"/>): on the target, every
    /// <c>dmig_*</c> subscription of the target database (disabled, detached from its slot, dropped); on the source, the
    /// slot (its WAL sender ended if still active) and the publication. An unreachable source is logged and skipped.
    /// Then drops the target database (<c>WITH (FORCE)</c>) when it carries this provider's marker. An empty
    /// <see cref="MigrationEndpoints.TargetConnection"/> means no target; a missing target database is fine; an
    /// unmarked one is never dropped (refused when it holds objects). Idempotent.
    /// </remarks>
    public async Task DropTargetAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (string.IsNullOrWhiteSpace(endpoints.TargetConnection))
        {
            return;
        }

        var source = Source(endpoints);
        var target = Target(endpoints);
        try
        {
            await using var admin = await target.OpenAdminAsync(cancellationToken).ConfigureAwait(false);
            var state = await PgMarker.ReadAsync(admin, target, cancellationToken).ConfigureAwait(false);
            if (state.Kind == TargetKind.UnmarkedNotEmpty)
            {
                throw RefuseTarget(endpoints.Database, target);
            }

            if (state.Kind == TargetKind.Marked)
            {
                await DropSubscriptionsAsync(endpoints, target, cancellationToken).ConfigureAwait(false);
            }

            await DropSourceReplicationAsync(endpoints, source, cancellationToken).ConfigureAwait(false);
            switch (state.Kind)
            {
                case TargetKind.Marked:
                    await PgMarker.ExecuteFormattedAsync(admin, "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', @name::text)", cancellationToken, ("name", target.DatabaseName)).ConfigureAwait(false);
                    PgLogs.TargetDropped(_logger, endpoints.Database, target.DatabaseName);
                    break;
                case TargetKind.UnmarkedEmpty:
                    PgLogs.UnmarkedTargetLeft(_logger, endpoints.Database, target.DatabaseName);
                    break;
            }
        }
        catch (Exception ex) when (ex is not DatabaseProviderException and not OperationCanceledException)
        {
            throw PgErrors.Translate(ex, endpoints.Database, "dropping the target", cancellationToken, source.Password, target.Password);
        }
    }

    /// <summary>Drops this migration's slot and publication on the source; an unreachable source is logged, not fatal.</summary>
    private async Task DropSourceReplicationAsync(MigrationEndpoints endpoints, PgEndpoint source, CancellationToken cancellationToken)
    {
        var names = ReplicationNames.For(endpoints.SourceConnection, endpoints.TargetConnection);
        try
        {
            await using var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            for (int attempt = 0; ; attempt++)
            {
                var slot = await PgSql.QueryAsync(connection, "SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = @slot", r => (Active: r.GetBoolean(0), Pid: r.IsDBNull(1) ? (int?)null : r.GetInt32(1)), cancellationToken, ("slot", names.Slot)).ConfigureAwait(false);
                if (slot.Count == 0)
                {
                    break;
                }

                if (!slot[0].Active)
                {
                    await PgSql.ExecuteAsync(connection, "SELECT pg_drop_replication_slot(@slot)", cancellationToken, ("slot", names.Slot)).ConfigureAwait(false);
                    PgLogs.ReplicationObjectRemoved(_logger, endpoints.Database, "replication slot " + names.Slot, "source");
                    break;
                }

                // Its subscriber is gone (dropped above); the WAL sender lingers a moment, or serves a subscriber elsewhere: end it after 5 s.
                if (attempt >= 50 && slot[0].Pid is int pid)
                {
                    await PgSql.ExecuteAsync(connection, "SELECT pg_terminate_backend(@pid)", cancellationToken, ("pid", pid)).ConfigureAwait(false);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), _timeProvider, cancellationToken).ConfigureAwait(false);
            }

            await PgSql.ExecuteAsync(connection, $"DROP PUBLICATION IF EXISTS {PgSql.Quote(names.Publication)}", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException && !cancellationToken.IsCancellationRequested)
        {
            PgLogs.ReplicationCleanupFailed(_logger, endpoints.Database, "source", PgErrors.Describe(ex, source.Password));
        }
    }
}
