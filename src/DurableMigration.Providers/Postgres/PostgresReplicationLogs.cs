using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.Postgres;

/// <summary>Log lines of <see cref="PostgresReplication"/>: database names, object names and positions, never a connection string.</summary>
internal static partial class PostgresReplicationLogs
{
    [LoggerMessage(EventId = 260, Level = LogLevel.Information, Message = "Replication of {Database} begins: publication {Publication} on {Tables} table(s), slot {Slot} at {ConsistentPoint}, snapshot {Snapshot}")]
    public static partial void Began(ILogger logger, string database, string publication, int tables, string slot, string consistentPoint, string snapshot);

    [LoggerMessage(EventId = 261, Level = LogLevel.Information, Message = "Subscription {Subscription} of {Database} {Outcome} on the target")]
    public static partial void Subscribed(ILogger logger, string database, string subscription, string outcome);

    [LoggerMessage(EventId = 262, Level = LogLevel.Information, Message = "Final sync of {Database}: connected and read position {Lsn} in {OpenMs} ms; the target applied everything up to it after {WaitMs} ms more; {Sequences} sequence(s) synced in {SequencesMs} ms; replication removed in {TeardownMs} ms; {ElapsedMs} ms in all")]
    public static partial void Finished(ILogger logger, string database, string lsn, long openMs, long waitMs, int sequences, long sequencesMs, long teardownMs, long elapsedMs);

    [LoggerMessage(EventId = 263, Level = LogLevel.Information, Message = "Removed the replication of {Database}: subscription {Subscription} {TargetOutcome}; slot and publication {SourceOutcome}")]
    public static partial void Removed(ILogger logger, string database, string subscription, string targetOutcome, string sourceOutcome);

    [LoggerMessage(EventId = 264, Level = LogLevel.Warning, Message = "Removing the replication of {Database}: the target is unreachable ({Reason}); its subscription {Subscription}, if any, stays (drop it with ALTER SUBSCRIPTION ... DISABLE, SET (slot_name = NONE), DROP SUBSCRIPTION)")]
    public static partial void TargetUnreachable(ILogger logger, string database, string subscription, string reason);
}
