namespace DurableMigration.Providers.Postgres;

public sealed partial class PostgresDatabaseProvider
{
    /// <inheritdoc/>
    /// <remarks>
    /// First removes the replication of this migration (<see cref="PostgresReplication.RemoveAsync"/>): on the target,
    /// its subscription (disabled, detached from its slot, dropped); on the source, the slot (its WAL sender ended if
    /// still active) and the publication. An unreachable source is logged and skipped.
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

            await RemoveReplicationAsync(endpoints, cancellationToken).ConfigureAwait(false);
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
}
