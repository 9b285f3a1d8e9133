using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using NpgsqlTypes;
using static DurableMigration.Providers.Postgres.PostgresReplicationSql;

namespace DurableMigration.Providers.Postgres;

/// <summary>
/// PostgreSQL's built-in logical replication for online mode: a publication and a logical slot (with an exported snapshot
/// for the copy) on the source, a subscription on the target, and the final sync that waits for the last change and
/// removes all three.
/// </summary>
/// <remarks>
/// <para>Connection strings are Npgsql connection strings and secrets: they never reach a message or a log line. The
/// subscription's connection string to the source (with its password) goes to the target's catalog only
/// (<c>pg_subscription.subconninfo</c>, readable by superusers).</para>
/// <para>Every operation is idempotent; the objects are found again by their names (<see cref="ReplicationNames"/>).</para>
/// <para>Teardown order, which makes a retry after a crash at any point safe: detach the subscription (disable it and set
/// its slot to none, one transaction on the target), drop the slot and the publication (source), drop the detached
/// subscription (target). A subscription that is detached thus means "teardown under way"; a slot without a subscription
/// means "recording, not yet subscribed" (an offline copy with change recording). The reverse order could leave a slot
/// without a subscription after the target had applied changes past the slot's confirmed position (which trails), and a
/// new subscription would apply them twice.</para>
/// </remarks>
internal sealed class PostgresReplication
{
    /// <summary>How long the walsender of a dropped slot may take to exit, in milliseconds.</summary>
    private const int TerminateTimeoutMs = 5000;

    /// <summary>Apply errors counted before a stopped apply worker counts as failing rather than restarting.</summary>
    private const long FailingApplyErrors = 3;

    /// <summary>Pause between two looks at the subscriber's position during the final sync.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    private readonly string _database;
    private readonly ILogger _logger;

    /// <summary>Initializes the replication mechanics for the wave's database <paramref name="database"/> (a name for messages).</summary>
    public PostgresReplication(string database, ILogger? logger = null)
    {
        _database = database;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Gets or sets how long creating the slot may wait for the source's open transactions to end (PostgreSQL waits for every transaction running when the slot is created).</summary>
    public TimeSpan SlotCreationTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Starts recording the source's changes to <paramref name="qualifiedTables"/>: removes what an earlier attempt left,
    /// creates the publication, then the slot, whose exported snapshot the returned object holds open for the copy.
    /// </summary>
    /// <param name="source">The source's connection string.</param>
    /// <param name="target">The target's connection string (for the objects' names, and to remove an earlier subscription).</param>
    /// <param name="qualifiedTables">The tables to replicate, <c>schema.table</c> (parts bare or double-quoted, case kept).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <remarks>
    /// Partitioned tables are published through their root (<c>publish_via_partition_root = true</c>): changes to any
    /// partition arrive as changes to the root table, which the target routes through its own partitions, so the target
    /// needs the root table (its partitioning may differ). A table without a replica identity (no primary key and
    /// <c>REPLICA IDENTITY DEFAULT</c>, or <c>NOTHING</c>) is refused: once published, every UPDATE and DELETE on it would
    /// fail on the source.
    /// </remarks>
    public async Task<ReplicationSnapshot> BeginAsync(string source, string target, IReadOnlyList<string> qualifiedTables, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(qualifiedTables);
        var names = ReplicationNames.For(source, target);
        var tables = qualifiedTables.Select(ParseQualifiedName).Distinct().ToList();
        await RemoveAsync(source, target, cancellationToken).ConfigureAwait(false);

        string operation = "creating the publication";
        try
        {
            // Read-write whatever the database's default: a retry may begin again on a source already made read-only.
            await using (var connection = await OpenAsync(ReadWriteSession(source), cancellationToken).ConfigureAwait(false))
            {
                await CheckPublishableAsync(connection, tables, cancellationToken).ConfigureAwait(false);
                string list = tables.Count == 0
                    ? string.Empty
                    : " FOR TABLE " + string.Join(", ", tables.Select(t => PgSql.Quote(t.Schema) + "." + PgSql.Quote(t.Name)));
                // publish_via_partition_root exists from PostgreSQL 13 on; before, partitioned tables cannot be published at all.
                string options = connection.PostgreSqlVersion.Major >= 13 ? " WITH (publish_via_partition_root = true)" : string.Empty;
                await using var create = new NpgsqlCommand($"CREATE PUBLICATION {PgSql.Quote(names.Publication)}{list}{options}", connection);
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            // The slot only now, after the publication: pgoutput looks the publication up in the catalog as of each decoded
            // change (a historic snapshot), so a slot whose start point precedes the publication's creation fails with
            // "publication does not exist" on the first change it decodes (PostgreSQL before 18).
            operation = "creating the replication slot";
            var replication = new LogicalReplicationConnection(SnapshotSession(source));
            try
            {
                await replication.Open(cancellationToken).ConfigureAwait(false);
                replication.CommandTimeout = SlotCreationTimeout;
                var slot = await replication.CreatePgOutputReplicationSlot(
                    names.Slot,
                    temporarySlot: false,
                    slotSnapshotInitMode: LogicalSlotSnapshotInitMode.Export,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                string snapshot = slot.SnapshotName ?? throw new DatabaseProviderException(_database, $"Database '{_database}': the source exported no snapshot with slot {names.Slot}.");
                PostgresReplicationLogs.Began(_logger, _database, names.Publication, tables.Count, names.Slot, slot.ConsistentPoint.ToString(), snapshot);
                return new ReplicationSnapshot(replication, snapshot, slot.ConsistentPoint);
            }
            catch
            {
                await replication.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch (Exception exception) when (Translate(exception, _database, operation, cancellationToken) is var translated && translated != exception)
        {
            throw translated;
        }
    }

    /// <summary>
    /// Creates the subscription on the target that applies the slot's changes from where the slot stands (no initial copy,
    /// no slot of its own), enabled. An existing one is kept (enabled again if it was disabled); a detached one (no slot)
    /// is replaced.
    /// </summary>
    /// <remarks>PostgreSQL 15 lets only a superuser create a subscription. The target's tables must exist.</remarks>
    public async Task SubscribeAsync(string source, string target, CancellationToken cancellationToken = default)
    {
        var names = ReplicationNames.For(source, target);
        try
        {
            await using (var sourceConnection = await OpenAsync(source, cancellationToken).ConfigureAwait(false))
            {
                var state = await ReadSourceAsync(sourceConnection, names, cancellationToken).ConfigureAwait(false);
                if (!state.SlotExists || !state.PublicationExists)
                {
                    throw new PermanentDatabaseProviderException(_database, $"Database '{_database}': cannot subscribe the target: the source has no {(state.SlotExists ? "publication " + names.Publication : "replication slot " + names.Slot)}. Begin the replication (and the copy) again.");
                }
            }

            await using var connection = await OpenAsync(target, cancellationToken).ConfigureAwait(false);
            await SubscribeAsync(connection, source, names, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (Translate(exception, _database, "subscribing the target", cancellationToken, SourcePassword(source), keepInner: false) is var translated && translated != exception)
        {
            throw translated;
        }
    }

    /// <summary>Reads the replication's state and lag without changing anything; fails when it is gone or broken.</summary>
    /// <param name="source">The source's connection string.</param>
    /// <param name="target">The target's connection string.</param>
    /// <param name="tables">How many tables are replicated (reported as is).</param>
    /// <param name="cancellationToken">Cancels the look.</param>
    /// <remarks>
    /// Lag in bytes: <c>pg_wal_lsn_diff(pg_current_wal_insert_lsn(), replay_lsn)</c> of the subscription's walsender on the
    /// source (what the target has applied and made visible). Lag in seconds: 0 when no byte is pending; else the
    /// walsender's <c>replay_lag</c>; when the server shows none (it drops it once idle), 0 if the target applied
    /// everything the walsender sent (what is left is WAL not decoded yet, often other databases'), else unknown.
    /// State: <c>starting</c> while no walsender serves the slot, <c>catching up</c> while the walsender has not caught up
    /// once or the lag is unknown or over a second, <c>streaming</c> otherwise.
    /// </remarks>
    public async Task<ReplicationStatus> GetStatusAsync(string source, string target, int tables, CancellationToken cancellationToken = default)
    {
        var names = ReplicationNames.For(source, target);
        try
        {
            var sourceTask = ReadSourceStatusAsync(source, names, cancellationToken);
            var targetTask = ReadTargetStatusAsync(target, names, cancellationToken);
            await Task.WhenAll(sourceTask, targetTask).ConfigureAwait(false);
            var (slot, walStatus, publication, walsender, lagBytes, replayLag, appliedAllSent, slotBytes) = await sourceTask.ConfigureAwait(false);
            var subscription = await targetTask.ConfigureAwait(false);

            if (subscription is null)
            {
                throw new PermanentDatabaseProviderException(_database, $"Database '{_database}': the subscription {names.Subscription} is gone from the target, so the target no longer receives the source's changes. Start the replication (and the copy) again.");
            }

            if (subscription.SlotName is null)
            {
                throw new PermanentDatabaseProviderException(_database, $"Database '{_database}': the subscription {names.Subscription} on the target is detached from its slot (being removed). Start the replication (and the copy) again.");
            }

            if (!slot)
            {
                throw new PermanentDatabaseProviderException(_database, $"Database '{_database}': the replication slot {names.Slot} is gone from the source, so changes since then are lost to the target. Start the replication (and the copy) again.");
            }

            if (walStatus == "lost")
            {
                throw new PermanentDatabaseProviderException(_database, $"Database '{_database}': the replication slot {names.Slot} lost write-ahead log it still needed (max_slot_wal_keep_size), so changes are lost to the target. Start the replication (and the copy) again.");
            }

            if (!publication)
            {
                throw new PermanentDatabaseProviderException(_database, $"Database '{_database}': the publication {names.Publication} is gone from the source, so the slot cannot be decoded. Start the replication (and the copy) again.");
            }

            if (!subscription.Enabled)
            {
                throw new PermanentDatabaseProviderException(_database, $"Database '{_database}': the subscription {names.Subscription} on the target is disabled{(subscription.ApplyErrors > 0 ? $" after {subscription.ApplyErrors} apply error(s) (disable_on_error)" : string.Empty)}, so the target no longer receives the source's changes. Enable it (ALTER SUBSCRIPTION ... ENABLE) once the cause is fixed, or start the replication again.");
            }

            bool workerDown = subscription.WorkerPid is null || walsender is null;
            if (workerDown && subscription.ApplyErrors >= FailingApplyErrors)
            {
                throw new DatabaseProviderException(_database, $"Database '{_database}': the subscription {names.Subscription} keeps failing to apply the source's changes ({subscription.ApplyErrors} error(s), its apply worker is not running now). The target's server log says why: commonly a row that conflicts (a duplicate key) or a table or column the target lacks.");
            }

            if (walsender is null)
            {
                return new ReplicationStatus("starting", slotBytes ?? 0, slotBytes == 0 ? 0 : null, tables);
            }

            long bytes = Math.Max(0, lagBytes ?? slotBytes ?? 0);
            double? seconds = bytes == 0 ? 0 : replayLag ?? (appliedAllSent ? 0 : null);
            string state = walsender != "streaming" || seconds is null or > 1.0 ? "catching up" : "streaming";
            return new ReplicationStatus(state, bytes, seconds, tables);
        }
        catch (Exception exception) when (Translate(exception, _database, "reading the replication's status", cancellationToken) is var translated && translated != exception)
        {
            throw translated;
        }
    }

    /// <summary>
    /// The final sync, with the source read-only: waits until the target applied every change the source committed, brings
    /// the target's sequences up to the source's, and removes the replication on both sides.
    /// </summary>
    /// <param name="source">The source's connection string (the database is read-only; this session writes anyway).</param>
    /// <param name="target">The target's connection string.</param>
    /// <param name="qualifiedSequences">The sequences to sync, <c>schema.name</c>; all of the source's when <c>null</c>. Sequences the target lacks are skipped.</param>
    /// <param name="timeout">How long to wait for the target to apply the last change.</param>
    /// <param name="cancellationToken">Cancels the sync.</param>
    /// <remarks>
    /// For an offline copy with change recording (slot and publication, no subscription yet) it subscribes first. A
    /// subscription already detached means an earlier call verified the wait and was removing the replication: it finishes
    /// the removal. With nothing left, it syncs the sequences and returns. The time it takes is inside the write-blocked
    /// window; <see cref="ChangeSyncResult.ChangedRows"/> is 0 (PostgreSQL does not count replicated rows).
    /// </remarks>
    public async Task<ChangeSyncResult> FinishAsync(string source, string target, IReadOnlyList<string>? qualifiedSequences, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var names = ReplicationNames.For(source, target);
        string operation = "the final sync";
        try
        {
            var sourceTask = OpenAsync(FlushingSession(ReadWriteSession(source)), cancellationToken);
            var targetTask = OpenAsync(target, cancellationToken);
            try
            {
                await Task.WhenAll(sourceTask, targetTask).ConfigureAwait(false);
            }
            catch
            {
                await DisposeOpenedAsync(sourceTask).ConfigureAwait(false);
                await DisposeOpenedAsync(targetTask).ConfigureAwait(false);
                throw;
            }

            await using var sourceConnection = await sourceTask.ConfigureAwait(false);
            await using var targetConnection = await targetTask.ConfigureAwait(false);

            // Every change the target must have: the source's WAL position now that nothing writes any more.
            var stateTask = ReadSourceAsync(sourceConnection, names, cancellationToken, flush: true);
            var subscriptionTask = ReadSubscriptionAsync(targetConnection, names, cancellationToken);
            await Task.WhenAll(stateTask, subscriptionTask).ConfigureAwait(false);
            var state = await stateTask.ConfigureAwait(false);
            var subscription = await subscriptionTask.ConfigureAwait(false);
            long openMs = stopwatch.ElapsedMilliseconds;

            long waitMs = 0;
            bool wait = subscription is { SlotName: not null } || (subscription is null && state.SlotExists);
            if (wait)
            {
                if (!state.SlotExists)
                {
                    throw new PermanentDatabaseProviderException(_database, $"Database '{_database}': the replication slot {names.Slot} is gone from the source while the target's subscription still uses it, so changes may be lost to the target. Copy the data again.");
                }

                if (!state.PublicationExists)
                {
                    throw new PermanentDatabaseProviderException(_database, $"Database '{_database}': the publication {names.Publication} is gone from the source, so the slot cannot be decoded. Copy the data again.");
                }

                operation = "subscribing the target";
                subscription = await EnsureSubscribedAsync(targetConnection, source, names, subscription, cancellationToken).ConfigureAwait(false);
                operation = "waiting for the target to apply the source's last changes";
                var waited = Stopwatch.StartNew();
                await WaitAppliedAsync(sourceConnection, targetConnection, names, state.CurrentLsn, timeout, cancellationToken).ConfigureAwait(false);
                waitMs = waited.ElapsedMilliseconds;
            }

            operation = "syncing sequences";
            var phase = Stopwatch.StartNew();
            int sequences = await SyncSequencesAsync(_database, sourceConnection, targetConnection, qualifiedSequences, cancellationToken).ConfigureAwait(false);

            long sequencesMs = phase.ElapsedMilliseconds;
            phase.Restart();
            operation = "removing the replication";
            if (subscription is not null)
            {
                await DetachSubscriptionAsync(targetConnection, names, subscription, cancellationToken).ConfigureAwait(false);
            }

            if (state.SlotExists || state.PublicationExists)
            {
                await DropSourceObjectsAsync(sourceConnection, names, cancellationToken).ConfigureAwait(false);
            }

            if (subscription is not null)
            {
                await ExecuteAsync(targetConnection, $"DROP SUBSCRIPTION IF EXISTS {PgSql.Quote(names.Subscription)}", cancellationToken).ConfigureAwait(false);
            }

            var elapsed = stopwatch.Elapsed;
            PostgresReplicationLogs.Finished(_logger, _database, state.CurrentLsn.ToString(), openMs, waitMs, sequences, sequencesMs, phase.ElapsedMilliseconds, (long)elapsed.TotalMilliseconds);
            return new ChangeSyncResult(0, 0, 0, [], elapsed, Final: true, FullCopy: false);
        }
        catch (Exception exception) when (Translate(exception, _database, operation, cancellationToken, SourcePassword(source), keepInner: false) is var translated && translated != exception)
        {
            throw translated;
        }
    }

    /// <summary>
    /// Compensation: removes the subscription from the target (when it is reachable) and the slot (ending its walsender
    /// first) and the publication from the source. Any of them may be missing, the target database too; the source may be
    /// read-only.
    /// </summary>
    /// <remarks>
    /// <para>A leftover slot would keep the source's write-ahead log forever, so a source that cannot be reached fails
    /// (retriable); a missing source database has no slot.</para>
    /// <para><paramref name="target"/> is required even when its database is gone: the objects are named after both
    /// sides' host, port and database (<see cref="ReplicationNames"/>), so without it the slot could not be found, and
    /// guessing (all <c>dmig_</c> slots of the source) would break another migration of the same source.</para>
    /// </remarks>
    public async Task RemoveAsync(string source, string target, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(target))
        {
            throw new ArgumentException("The target's connection string is required: it names the replication's objects, even when its database is gone.", nameof(target));
        }

        var names = ReplicationNames.For(source, target);
        string operation = "removing the replication from the target";
        try
        {
            NpgsqlConnection? targetConnection = null;
            string targetOutcome = "absent";
            string sourceOutcome = "absent";
            try
            {
                try
                {
                    targetConnection = await OpenAsync(target, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is NpgsqlException && !cancellationToken.IsCancellationRequested)
                {
                    if (IsMissingDatabase(exception))
                    {
                        targetOutcome = "absent (no target database)";
                    }
                    else
                    {
                        targetOutcome = "left (target unreachable)";
                        PostgresReplicationLogs.TargetUnreachable(_logger, _database, names.Subscription, exception is PostgresException p ? p.SqlState : exception.GetType().Name);
                    }
                }

                SubscriptionState? subscription = null;
                if (targetConnection is not null)
                {
                    subscription = await ReadSubscriptionAsync(targetConnection, names, cancellationToken).ConfigureAwait(false);
                    if (subscription is not null)
                    {
                        await DetachSubscriptionAsync(targetConnection, names, subscription, cancellationToken).ConfigureAwait(false);
                    }
                }

                operation = "removing the replication from the source";
                NpgsqlConnection? sourceConnection = null;
                try
                {
                    sourceConnection = await OpenAsync(ReadWriteSession(source), cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException exception) when (IsMissingDatabase(exception))
                {
                    sourceOutcome = "absent (no source database)";
                }

                if (sourceConnection is not null)
                {
                    await using (sourceConnection.ConfigureAwait(false))
                    {
                        var state = await ReadSourceAsync(sourceConnection, names, cancellationToken).ConfigureAwait(false);
                        if (state.SlotExists || state.PublicationExists)
                        {
                            await DropSourceObjectsAsync(sourceConnection, names, cancellationToken).ConfigureAwait(false);
                            sourceOutcome = "dropped";
                        }
                    }
                }

                if (targetConnection is not null && subscription is not null)
                {
                    operation = "removing the replication from the target";
                    await ExecuteAsync(targetConnection, $"DROP SUBSCRIPTION IF EXISTS {PgSql.Quote(names.Subscription)}", cancellationToken).ConfigureAwait(false);
                    targetOutcome = "dropped";
                }
            }
            finally
            {
                if (targetConnection is not null)
                {
                    await targetConnection.DisposeAsync().ConfigureAwait(false);
                }
            }

            PostgresReplicationLogs.Removed(_logger, _database, names.Subscription, targetOutcome, sourceOutcome);
        }
        catch (Exception exception) when (Translate(exception, _database, operation, cancellationToken) is var translated && translated != exception)
        {
            throw translated;
        }
    }

    /// <summary>Tells whether the source records changes for this migration (its slot exists), so that a final sync has something to work from.</summary>
    public async Task<bool> IsRecordingAsync(string source, string target, CancellationToken cancellationToken = default)
    {
        var names = ReplicationNames.For(source, target);
        try
        {
            await using var connection = await OpenAsync(source, cancellationToken).ConfigureAwait(false);
            var state = await ReadSourceAsync(connection, names, cancellationToken).ConfigureAwait(false);
            return state.SlotExists;
        }
        catch (Exception exception) when (Translate(exception, _database, "looking for the replication slot", cancellationToken) is var translated && translated != exception)
        {
            throw translated;
        }
    }

    /// <summary>Lists the tables of <paramref name="qualifiedTables"/> that logical replication cannot take as they are: missing, not a plain or partitioned table, unlogged or temporary, or without a replica identity (their UPDATEs and DELETEs would fail on the source once published).</summary>
    /// <returns>Per refused table: its name and why.</returns>
    public static async Task<IReadOnlyList<(string Table, string Problem)>> FindUnpublishableTablesAsync(NpgsqlConnection connection, IEnumerable<(string Schema, string Name)> qualifiedTables, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var tables = qualifiedTables.ToList();
        if (tables.Count == 0)
        {
            return [];
        }

        const string Sql = """
            SELECT t.schema, t.name, c.oid IS NOT NULL, c.relkind::text, c.relpersistence::text, c.relreplident::text,
                   EXISTS (SELECT 1 FROM pg_index i
                           WHERE i.indrelid = c.oid
                             AND ((c.relreplident = 'd' AND i.indisprimary) OR (c.relreplident = 'i' AND i.indisreplident)))
            FROM unnest(@schemas::text[], @names::text[]) AS t(schema, name)
            LEFT JOIN pg_namespace n ON n.nspname = t.schema
            LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
            """;
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.AddWithValue("schemas", tables.Select(t => t.Schema).ToArray());
        command.Parameters.AddWithValue("names", tables.Select(t => t.Name).ToArray());
        var problems = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            string table = reader.GetString(0) + "." + reader.GetString(1);
            if (!reader.GetBoolean(2))
            {
                problems.Add((table, "does not exist"));
                continue;
            }

            string kind = reader.GetString(3);
            string persistence = reader.GetString(4);
            string identity = reader.GetString(5);
            bool keyed = reader.GetBoolean(6);
            if (kind is not ("r" or "p"))
            {
                problems.Add((table, "is not a table (views, foreign tables and materialized views cannot be replicated)"));
            }
            else if (persistence != "p")
            {
                problems.Add((table, persistence == "u" ? "is unlogged (its changes are not in the write-ahead log, so they cannot be replicated)" : "is temporary"));
            }
            else if (identity == "n" || (identity is "d" or "i" && !keyed))
            {
                problems.Add((table, "has no replica identity (no primary key): once published, its UPDATEs and DELETEs would fail on the source. Add a primary key, or ALTER TABLE ... REPLICA IDENTITY FULL"));
            }
        }

        return problems;
    }

    private static string? SourcePassword(string source)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(source).Password;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// Opens a connection of its own (no pool: some sessions write to a read-only database, one carries a password in a
    /// statement) through a data source that logs nothing, whatever Npgsql's global logging is: the subscription's
    /// statement holds the source's password.
    /// </summary>
    private static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.Pooling = false;
        builder.UseLoggerFactory(NullLoggerFactory.Instance);
        var dataSource = builder.Build(); // unpooled: it holds nothing once its connection is closed
        return await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task DisposeOpenedAsync(Task<NpgsqlConnection> opening)
    {
        if (opening.IsCompletedSuccessfully)
        {
            await opening.Result.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task CheckPublishableAsync(NpgsqlConnection connection, IReadOnlyList<(string Schema, string Name)> tables, CancellationToken cancellationToken)
    {
        var problems = await FindUnpublishableTablesAsync(connection, tables, cancellationToken).ConfigureAwait(false);
        if (problems.Count > 0)
        {
            throw new PermanentDatabaseProviderException(_database, $"Database '{_database}': cannot replicate {problems.Count} table(s): {string.Join("; ", problems.Select(p => p.Table + " " + p.Problem))}.");
        }
    }

    /// <summary>One round trip: the source's WAL position and whether the slot and the publication exist.</summary>
    /// <param name="connection">An open source connection.</param>
    /// <param name="names">The objects' names.</param>
    /// <param name="flush">
    /// Whether to make every change committed so far visible to the walsender now. The position is the WAL's insert
    /// position (<c>pg_current_wal_lsn()</c> is only what was written out: with asynchronous commits, transactions
    /// already acknowledged lie beyond it), and a walsender decodes only flushed WAL, which with asynchronous commits the
    /// WAL writer flushes up to <c>wal_writer_delay</c> later. So the statement takes a transaction id and its session
    /// commits synchronously (<see cref="FlushingSession"/>): the commit flushes all WAL before it. PostgreSQL flushes
    /// at commit only a transaction that wrote WAL, so it writes a transactional logical decoding message
    /// (<c>pg_logical_emit_message</c>, prefix <c>dmig</c>), which subscriptions do not ask for and which changes no data.
    /// Where the role may not call that function, it reads without flushing (the wait may then last up to the WAL
    /// writer's delay longer).
    /// </param>
    /// <param name="cancellationToken">Cancels the look.</param>
    private static async Task<SourceState> ReadSourceAsync(NpgsqlConnection connection, ReplicationNames names, CancellationToken cancellationToken, bool flush = false)
    {
        if (flush)
        {
            try
            {
                return await ReadSourceCoreAsync(connection, names, ", pg_logical_emit_message(true, 'dmig', 'final sync')", cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                // Not allowed: read without flushing.
            }
        }

        return await ReadSourceCoreAsync(connection, names, string.Empty, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<SourceState> ReadSourceCoreAsync(NpgsqlConnection connection, ReplicationNames names, string extra, CancellationToken cancellationToken)
    {
        string sql = $"""
            SELECT pg_current_wal_insert_lsn(),
                   EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = @slot),
                   EXISTS (SELECT 1 FROM pg_publication WHERE pubname = @publication)
                   {extra}
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("slot", names.Slot);
        command.Parameters.AddWithValue("publication", names.Publication);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new SourceState(reader.GetFieldValue<NpgsqlLogSequenceNumber>(0), reader.GetBoolean(1), reader.GetBoolean(2));
    }

    /// <summary>The subscription of this migration in the target's current database, or <c>null</c>.</summary>
    private static async Task<SubscriptionState?> ReadSubscriptionAsync(NpgsqlConnection connection, ReplicationNames names, CancellationToken cancellationToken)
    {
        // Apply errors are counted from PostgreSQL 15 on (pg_stat_subscription_stats); before, 0.
        bool counted = connection.PostgreSqlVersion.Major >= 15;
        string sql = $"""
            SELECT s.subenabled, s.subslotname::text, {(counted ? "COALESCE(st.apply_error_count, 0)" : "0::bigint")},
                   (SELECT w.pid FROM pg_stat_subscription w WHERE w.subid = s.oid AND w.relid IS NULL LIMIT 1)
            FROM pg_subscription s
            {(counted ? "LEFT JOIN pg_stat_subscription_stats st ON st.subid = s.oid" : string.Empty)}
            WHERE s.subname = @subscription AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("subscription", names.Subscription);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new SubscriptionState(
            reader.GetBoolean(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.GetInt64(2),
            reader.IsDBNull(3) ? null : reader.GetInt32(3));
    }

    private static async Task<(bool Slot, string? WalStatus, bool Publication, string? Walsender, long? LagBytes, double? ReplayLag, bool AppliedAllSent, long? SlotBytes)> ReadSourceStatusAsync(string source, ReplicationNames names, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(source, cancellationToken).ConfigureAwait(false);
        // wal_status (lost WAL) exists from PostgreSQL 13 on.
        string sql = $"""
            SELECT sl.slot_name IS NOT NULL, {(connection.PostgreSqlVersion.Major >= 13 ? "sl.wal_status" : "NULL::text")},
                   EXISTS (SELECT 1 FROM pg_publication WHERE pubname = @publication),
                   r.state,
                   pg_wal_lsn_diff(pg_current_wal_insert_lsn(), r.replay_lsn)::bigint,
                   EXTRACT(EPOCH FROM r.replay_lag)::float8,
                   COALESCE(r.replay_lsn >= r.sent_lsn, false),
                   pg_wal_lsn_diff(pg_current_wal_insert_lsn(), sl.confirmed_flush_lsn)::bigint
            FROM (SELECT 1) AS one
            LEFT JOIN pg_replication_slots sl ON sl.slot_name = @slot
            LEFT JOIN pg_stat_replication r ON r.pid = sl.active_pid
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("slot", names.Slot);
        command.Parameters.AddWithValue("publication", names.Publication);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (
            reader.GetBoolean(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.GetBoolean(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetInt64(4),
            reader.IsDBNull(5) ? null : reader.GetDouble(5),
            reader.GetBoolean(6),
            reader.IsDBNull(7) ? null : reader.GetInt64(7));
    }

    private static async Task<SubscriptionState?> ReadTargetStatusAsync(string target, ReplicationNames names, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(target, cancellationToken).ConfigureAwait(false);
        return await ReadSubscriptionAsync(connection, names, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Subscribes when <paramref name="subscription"/> is missing, enables it when disabled; returns its state now.</summary>
    private async Task<SubscriptionState> EnsureSubscribedAsync(NpgsqlConnection target, string source, ReplicationNames names, SubscriptionState? subscription, CancellationToken cancellationToken)
    {
        if (subscription is null)
        {
            await SubscribeAsync(target, source, names, cancellationToken).ConfigureAwait(false);
            return new SubscriptionState(true, names.Slot, 0, null);
        }

        if (!subscription.Enabled)
        {
            await ExecuteAsync(target, $"ALTER SUBSCRIPTION {PgSql.Quote(names.Subscription)} ENABLE", cancellationToken).ConfigureAwait(false);
        }

        return subscription with { Enabled = true };
    }

    /// <summary>Creates (or keeps, or replaces a detached) subscription, on an open target connection.</summary>
    private async Task SubscribeAsync(NpgsqlConnection connection, string source, ReplicationNames names, CancellationToken cancellationToken)
    {
        string subscription = PgSql.Quote(names.Subscription);
        var existing = await ReadSubscriptionAsync(connection, names, cancellationToken).ConfigureAwait(false);
        if (existing is { SlotName: not null })
        {
            if (!existing.Enabled)
            {
                await ExecuteAsync(connection, $"ALTER SUBSCRIPTION {subscription} ENABLE", cancellationToken).ConfigureAwait(false);
            }

            PostgresReplicationLogs.Subscribed(_logger, _database, names.Subscription, existing.Enabled ? "kept" : "enabled again");
            return;
        }

        if (existing is not null)
        {
            await ExecuteAsync(connection, $"DROP SUBSCRIPTION IF EXISTS {subscription}", cancellationToken).ConfigureAwait(false);
        }

        // The statement holds the source's password: it goes through a data source that logs nothing (whatever Npgsql's
        // global logging is), and failures are reported without it (no inner exception: PostgresException.Statement).
        string sql = $"CREATE SUBSCRIPTION {subscription} CONNECTION {QuoteLiteral(LibpqConnectionString(source))} " +
            $"PUBLICATION {PgSql.Quote(names.Publication)} " +
            $"WITH (create_slot = false, slot_name = {QuoteLiteral(names.Slot)}, copy_data = false, enabled = true)";
        try
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.DuplicateObject)
        {
            // Created concurrently by another attempt: it is the same subscription.
        }

        PostgresReplicationLogs.Subscribed(_logger, _database, names.Subscription, "created");
    }

    /// <summary>Polls the target until its apply worker has handled the source's stream past <paramref name="lsn"/>, so that every transaction committed before it is applied.</summary>
    /// <remarks>
    /// <para>The apply worker handles the stream strictly in order (one worker per subscription; no parallel apply) and
    /// commits each transaction when it reads its commit message. It publishes the position of every message it reads
    /// (<c>pg_stat_subscription.received_lsn</c>, shared memory, no delay) before handling it, so a position
    /// <em>past</em> <paramref name="lsn"/> means every message at or before it was handled: every transaction committed
    /// before <paramref name="lsn"/> is committed and visible on the target. A message of a transaction committed before
    /// <paramref name="lsn"/> is at or before it; the position moves past it with the walsender's keepalive, sent once it
    /// decoded past <paramref name="lsn"/> (the flushing transaction of <see cref="ReadSourceAsync"/> lies past it).</para>
    /// <para>The source's view (<c>pg_stat_replication.write_lsn</c>/<c>replay_lsn</c>) says the same, but the subscriber
    /// reports it only once its own asynchronous commits are flushed, up to a second later; it is accepted too.</para>
    /// </remarks>
    private async Task WaitAppliedAsync(NpgsqlConnection source, NpgsqlConnection target, ReplicationNames names, NpgsqlLogSequenceNumber lsn, TimeSpan timeout, CancellationToken cancellationToken)
    {
        const string TargetSql = """
            SELECT w.received_lsn
            FROM pg_stat_subscription w JOIN pg_subscription s ON s.oid = w.subid
            WHERE s.subname = @subscription AND w.relid IS NULL
              AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            """;
        const string SourceSql = """
            SELECT r.write_lsn
            FROM pg_replication_slots sl JOIN pg_stat_replication r ON r.pid = sl.active_pid
            WHERE sl.slot_name = @slot
            """;
        var deadline = Stopwatch.StartNew();
        await using var onTarget = new NpgsqlCommand(TargetSql, target);
        onTarget.Parameters.AddWithValue("subscription", names.Subscription);
        await using var onSource = new NpgsqlCommand(SourceSql, source);
        onSource.Parameters.AddWithValue("slot", names.Slot);
        NpgsqlLogSequenceNumber? received = null;
        NpgsqlLogSequenceNumber? reported = null;
        for (int poll = 0; ; poll++)
        {
            received = await onTarget.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is NpgsqlLogSequenceNumber r ? r : null;
            if (received > lsn)
            {
                return;
            }

            if (poll % 10 == 9)
            {
                // Now and then the source's view as well, in case the target's is unavailable.
                reported = await onSource.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is NpgsqlLogSequenceNumber w ? w : null;
                if (reported > lsn)
                {
                    return;
                }
            }

            if (deadline.Elapsed >= timeout)
            {
                break;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }

        var subscription = await ReadSubscriptionAsync(target, names, cancellationToken).ConfigureAwait(false);
        string why = subscription?.WorkerPid is null
            ? "the subscription's apply worker is not running"
            : received is null || received == default(NpgsqlLogSequenceNumber)
                ? "the subscription has not received anything from the source yet"
                : string.Create(CultureInfo.InvariantCulture, $"the target has received up to {received}, the source is at {lsn}");
        string errors = subscription is { ApplyErrors: > 0 } s
            ? string.Create(CultureInfo.InvariantCulture, $"; the subscription counted {s.ApplyErrors} apply error(s) (the target's server log says why)")
            : string.Empty;
        throw new DatabaseProviderException(_database, string.Create(CultureInfo.InvariantCulture, $"Database '{_database}': the target did not apply the source's last changes within {timeout.TotalSeconds:0.###} s: {why}{errors}. The source stays read-only; retry, or roll back."));
    }

    /// <summary>Sets every sequence of the target to the source's position (<c>setval(seq, last_value, is_called)</c>); two round trips.</summary>
    private static async Task<int> SyncSequencesAsync(string database, NpgsqlConnection source, NpgsqlConnection target, IReadOnlyList<string>? qualifiedSequences, CancellationToken cancellationToken)
    {
        if (qualifiedSequences is { Count: 0 })
        {
            return 0;
        }

        var wanted = qualifiedSequences?.Select(ParseQualifiedName).ToList();
        // pg_sequences shows last_value NULL both for a sequence never used and for one the role may not read: the
        // latter must not reset the target's, so it is refused.
        string sql = "SELECT schemaname::text, sequencename::text, COALESCE(last_value, start_value), last_value IS NOT NULL, " +
            "has_sequence_privilege(format('%I.%I', schemaname, sequencename), 'SELECT') FROM pg_sequences" +
            (wanted is null ? string.Empty : " WHERE (schemaname::text, sequencename::text) IN (SELECT * FROM unnest(@schemas::text[], @names::text[]))");
        var unreadable = new List<string>();
        var schemas = new List<string>();
        var names = new List<string>();
        var values = new List<long>();
        var called = new List<bool>();
        await using (var read = new NpgsqlCommand(sql, source))
        {
            if (wanted is not null)
            {
                read.Parameters.AddWithValue("schemas", wanted.Select(w => w.Schema).ToArray());
                read.Parameters.AddWithValue("names", wanted.Select(w => w.Name).ToArray());
            }

            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!reader.GetBoolean(4))
                {
                    unreadable.Add(reader.GetString(0) + "." + reader.GetString(1));
                    continue;
                }

                schemas.Add(reader.GetString(0));
                names.Add(reader.GetString(1));
                values.Add(reader.GetInt64(2));
                called.Add(reader.GetBoolean(3));
            }
        }

        if (unreadable.Count > 0)
        {
            throw new PermanentDatabaseProviderException(database, $"Database '{database}': cannot read the position of {unreadable.Count} sequence(s) on the source ({string.Join(", ", unreadable.Take(10))}): grant SELECT on them to the migration's role, or the target's would restart where the copy left them.");
        }

        if (schemas.Count == 0)
        {
            return 0;
        }

        const string Write = """
            SELECT count(setval(q.seq, t.value, t.called))::int
            FROM unnest(@schemas::text[], @names::text[], @values::bigint[], @called::bool[]) AS t(schema, name, value, called)
            CROSS JOIN LATERAL (SELECT to_regclass(format('%I.%I', t.schema, t.name)) AS seq) AS q
            JOIN pg_class c ON c.oid = q.seq AND c.relkind = 'S'
            """;
        await using var write = new NpgsqlCommand(Write, target);
        write.Parameters.AddWithValue("schemas", schemas.ToArray());
        write.Parameters.AddWithValue("names", names.ToArray());
        write.Parameters.AddWithValue("values", values.ToArray());
        write.Parameters.AddWithValue("called", called.ToArray());
        return (int)(await write.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0);
    }

    /// <summary>Disables the subscription and detaches it from its slot, in one transaction, so it can be dropped without reaching the source.</summary>
    private static async Task DetachSubscriptionAsync(NpgsqlConnection connection, ReplicationNames names, SubscriptionState subscription, CancellationToken cancellationToken)
    {
        if (subscription.SlotName is null)
        {
            return;
        }

        string name = PgSql.Quote(names.Subscription);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"ALTER SUBSCRIPTION {name} DISABLE"),
                new NpgsqlBatchCommand($"ALTER SUBSCRIPTION {name} SET (slot_name = NONE)"),
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends the slot's walsender, drops the slot and the publication; retries every few milliseconds while the walsender still holds the slot.</summary>
    /// <remarks>
    /// <c>pg_terminate_backend(pid, timeout)</c> would wait for the walsender, but it checks only every 100 ms; a walsender
    /// exits within milliseconds of its signal, so retrying the drop is faster (this is inside the write-blocked window).
    /// </remarks>
    private static async Task DropSourceObjectsAsync(NpgsqlConnection connection, ReplicationNames names, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var batch = new NpgsqlBatch(connection)
                {
                    BatchCommands =
                    {
                        new NpgsqlBatchCommand("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = @slot AND active_pid IS NOT NULL") { Parameters = { new NpgsqlParameter("slot", names.Slot) } },
                        new NpgsqlBatchCommand($"DROP PUBLICATION IF EXISTS {PgSql.Quote(names.Publication)}"),
                    },
                };
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await using var drop = new NpgsqlCommand("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = @slot", connection);
                drop.Parameters.AddWithValue("slot", names.Slot);
                await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.ObjectInUse && started.ElapsedMilliseconds < TerminateTimeoutMs)
            {
                // The walsender is still exiting (or a new one took the slot): end it again.
                await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private sealed record SourceState(NpgsqlLogSequenceNumber CurrentLsn, bool SlotExists, bool PublicationExists);

    private sealed record SubscriptionState(bool Enabled, string? SlotName, long ApplyErrors, int? WorkerPid);
}
