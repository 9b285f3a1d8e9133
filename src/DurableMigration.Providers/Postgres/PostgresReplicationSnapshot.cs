using Npgsql.Replication;
using NpgsqlTypes;

namespace DurableMigration.Providers.Postgres;

/// <summary>
/// The snapshot a new replication slot exported: exactly the source's state from which the slot streams changes. Copy the
/// data inside it (<c>BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT '<see cref="SnapshotName"/>'</c>,
/// as the first statement of the copying transactions), then dispose it.
/// </summary>
/// <remarks>
/// PostgreSQL keeps an exported snapshot importable only while the replication connection that created the slot stays open
/// and idle, so this object holds that connection; disposing it closes the connection (the slot stays). Transactions that
/// already imported the snapshot keep it after that.
/// </remarks>
internal sealed class ReplicationSnapshot : IAsyncDisposable
{
    private LogicalReplicationConnection? _connection;

    /// <summary>Initializes the snapshot held open by <paramref name="connection"/>.</summary>
    public ReplicationSnapshot(LogicalReplicationConnection connection, string snapshotName, NpgsqlLogSequenceNumber consistentPoint)
    {
        _connection = connection;
        SnapshotName = snapshotName;
        ConsistentPoint = consistentPoint;
    }

    /// <summary>Gets the snapshot's name, for <c>SET TRANSACTION SNAPSHOT</c>.</summary>
    public string SnapshotName { get; }

    /// <summary>Gets the position from which the slot streams: every transaction committed after it is replicated, every one before it is in the snapshot.</summary>
    public NpgsqlLogSequenceNumber ConsistentPoint { get; }

    /// <summary>Gets a value indicating whether the snapshot can still be imported (the connection is open).</summary>
    public bool IsOpen => _connection is not null;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        var connection = Interlocked.Exchange(ref _connection, null);
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
