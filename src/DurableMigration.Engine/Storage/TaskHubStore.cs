using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using DurableMigration.Engine.History;
using DurableMigration.Engine.Serialization;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Engine.Storage;

/// <summary>The SQLite task hub: instances, histories, messages and activity work items in one WAL-journaled file.</summary>
/// <remarks>
/// One connection per process, driven by a thread of its own that runs queued reads and writes in turn: SQLite allows a single writer at a time anyway, and one
/// connection avoids busy-waiting between this process's own workers. Other processes (a CLI raising an event)
/// open their own store on the same file; write transactions start with <c>BEGIN IMMEDIATE</c> and wait on
/// <c>busy_timeout</c>. <c>synchronous=NORMAL</c> (the default, <see cref="TaskHubDurability.Normal"/>) in WAL mode keeps
/// every committed transaction across a process crash; only an operating-system crash or power loss may lose the last
/// few commits, never corrupt the file. <see cref="TaskHubDurability.Full"/> flushes every commit.
/// </remarks>
internal sealed partial class TaskHubStore : IAsyncDisposable
{
    internal const string SchemaVersion = "1.4.0";
    private const int MaxMessagesPerTurn = 5000;

    private readonly string _path;
    private readonly TaskHubDurability _durability;
    private readonly BlockingCollection<StoreOperation> _pending = new();
    private Thread? _connectionThread;
    private SqliteConnection? _connection;

    public TaskHubStore(string path, TaskHubDurability durability = TaskHubDurability.Normal)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = Path.GetFullPath(path);
        _durability = durability;
    }

    /// <summary>Gets the full path of the task hub file.</summary>
    public string FilePath => _path;

    public async ValueTask DisposeAsync()
    {
        Task closed;
        lock (_pending)
        {
            if (_pending.IsAddingCompleted)
            {
                return;
            }

            // The last operation closes the connection on its thread; the thread then ends with the queue.
            closed = _connectionThread is null ? Task.CompletedTask : Enqueue(new StoreOperation<bool>(CloseConnection, CancellationToken.None), CancellationToken.None);
            _pending.CompleteAdding();
        }

        await closed.ConfigureAwait(false);
    }

    private bool CloseConnection()
    {
        _connection?.Dispose();
        _connection = null;
        return true;
    }

    // ----- orchestration work items -----

    /// <summary>Locks up to <paramref name="maxInstances"/> instances that have visible messages, and loads those messages.</summary>
    public Task<IReadOnlyList<OrchestrationWorkItem>> LockOrchestrationsAsync(string workerId, DateTime now, TimeSpan lease, int maxInstances, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<OrchestrationWorkItem>>(tx =>
        {
            long nowMs = ToMs(now);
            // Instances in the order of their oldest deliverable message. The messages are read oldest first and the read
            // stops at the last instance wanted: grouping every deliverable message to sort the groups cost a scan of the
            // whole queue per lease, the largest part of the runtime's own time in a wave of a thousand databases.
            var ids = new List<string>(maxInstances);
            using (var reader = Prepared(tx, """
                SELECT e.InstanceId FROM NewEvents e NOT INDEXED JOIN Instances i ON i.InstanceId = e.InstanceId
                WHERE e.VisibleTime <= $now AND i.LockExpiration <= $now
                  AND (i.RuntimeStatus NOT IN ('Pending', 'Suspended')
                       OR e.EventType IN ('ExecutionStarted', 'ExecutionTerminated')
                       OR (i.RuntimeStatus = 'Suspended' AND e.EventType = 'ExecutionResumed'))
                ORDER BY e.Id
                """, ("$now", nowMs)).ExecuteReader())
            {
                while (ids.Count < maxInstances && reader.Read())
                {
                    string id = reader.GetString(0);
                    if (!ids.Contains(id, StringComparer.Ordinal))
                    {
                        ids.Add(id);
                    }
                }
            }

            var items = new List<OrchestrationWorkItem>(ids.Count);
            foreach (string id in ids)
            {
                Execute(tx, "UPDATE Instances SET LockedBy = $w, LockExpiration = $exp WHERE InstanceId = $id",
                    ("$w", workerId), ("$exp", ToMs(now + lease)), ("$id", id));
                var instance = ReadInstance(tx, id, withPayloads: false)!;
                var messages = new List<QueuedMessage>();
                using var reader = Prepared(tx,
                    "SELECT Id, ExecutionId, Payload FROM NewEvents WHERE InstanceId = $id AND VisibleTime <= $now ORDER BY Id LIMIT $max",
                    ("$id", id), ("$now", nowMs), ("$max", MaxMessagesPerTurn)).ExecuteReader();
                while (reader.Read())
                {
                    messages.Add(new QueuedMessage(
                        reader.GetInt64(0),
                        reader.IsDBNull(1) ? null : reader.GetString(1),
                        HistorySerializer.Deserialize(reader.GetString(2))));
                }

                items.Add(new OrchestrationWorkItem(instance, messages));
            }

            return items;
        }, cancellationToken);

    /// <summary>Loads an instance's whole history, oldest first.</summary>
    public Task<IReadOnlyList<HistoryEvent>> LoadHistoryAsync(string instanceId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<HistoryEvent>>(connection =>
        {
            var history = new List<HistoryEvent>();
            using var reader = Prepared(connection, null, "SELECT Payload FROM History WHERE InstanceId = $id ORDER BY SequenceNumber", ("$id", instanceId)).ExecuteReader();
            while (reader.Read())
            {
                history.Add(HistorySerializer.Deserialize(reader.GetString(0)));
            }

            return history;
        }, cancellationToken);

    // The turn's instance update. A turn run for a result straight from its activity worker held no lease on the instance:
    // it commits only if nobody holds the instance now, it runs, its history has not moved since the worker's executor
    // last saw it, and no message waits for it (a terminate, a suspend, an event: those go first, through the queue).
    private const string UpdateInstanceGuard = """
        WHERE InstanceId = $id AND ExecutionId = $execution AND HistoryCount = $historyStart
          AND (($unleased = 0 AND LockedBy = $worker)
               OR ($unleased = 1 AND LockExpiration <= $now AND RuntimeStatus = 'Running'
                   AND NOT EXISTS (SELECT 1 FROM NewEvents WHERE InstanceId = $id AND VisibleTime <= $now)))
        """;

    private const string UpdateInstanceSameStatusSql = """
        UPDATE Instances SET FailureDetails = $failure,
            LastUpdatedTime = $now, CompletedTime = $completed, HistoryCount = HistoryCount + $added, LockedBy = NULL, LockExpiration = 0
        """ + "\n" + UpdateInstanceGuard + " AND RuntimeStatus = $status";

    private const string UpdateInstanceSql = """
        UPDATE Instances SET RuntimeStatus = $status, FailureDetails = $failure,
            LastUpdatedTime = $now, CompletedTime = $completed, HistoryCount = HistoryCount + $added, LockedBy = NULL, LockExpiration = 0
        """ + "\n" + UpdateInstanceGuard;

    /// <summary>Commits a turn in one transaction; returns <c>null</c> (and changes nothing) if the worker lost the instance's lock (or, for <see cref="TurnCommit.CompletedActivityId"/>, the activity's lease, or someone holds the instance).</summary>
    /// <returns>What the turn left for its worker; <c>null</c> when the lock was lost.</returns>
    public Task<CommittedTurn?> CommitTurnAsync(TurnCommit commit, CancellationToken cancellationToken)
    {
        // Serialized before the transaction: the store's one connection is held no longer than the writes need.
        var history = commit.NewHistory.Select(e => (Type: e.EventType.ToString(), Timestamp: ToMs(e.Timestamp), Payload: HistorySerializer.Serialize(e))).ToList();
        string? failure = commit.Update.FailureDetails is null ? null : HistorySerializer.SerializeFailure(commit.Update.FailureDetails);
        var childStarts = commit.NewChildren.Select(child => new OutgoingMessage(child.InstanceId, child.ExecutionId, commit.Now,
            new ExecutionStartedEvent(child.Name, child.Input, child.ExecutionId, child.Parent, child.Version) { Timestamp = commit.Now })).ToList();
        return WriteAsync<CommittedTurn?>(tx =>
        {
            long nowMs = ToMs(commit.Now);
            var update = commit.Update;
            (string, object?)[] parameters =
            [
                ("$unleased", commit.CompletedActivityId is null ? 0 : 1),
                ("$status", update.Status.ToString()),
                ("$failure", failure),
                ("$now", nowMs),
                ("$completed", update.Status.IsTerminal() ? nowMs : null),
                ("$added", commit.NewHistory.Count),
                ("$id", commit.InstanceId),
                ("$worker", commit.WorkerId),
                ("$execution", commit.ExecutionId),
                ("$historyStart", commit.HistoryStart),
            ];
            // Most turns leave the status as it was. SQLite rewrites an index entry whenever the UPDATE assigns one of its
            // columns, changed or not: assigning RuntimeStatus only when it changes saves IX_Instances_Status a page.
            int updated = Execute(tx, UpdateInstanceSameStatusSql, parameters);
            if (updated == 0)
            {
                updated = Execute(tx, UpdateInstanceSql, parameters);
            }

            if (updated == 0
                || (commit.CompletedActivityId is { } activityId
                    && Execute(tx, "DELETE FROM ActivityTasks WHERE Id = $id AND LockedBy = $worker", ("$id", activityId), ("$worker", commit.WorkerId)) == 0))
            {
                tx.Rollback();
                return null;
            }

            if (update.CustomStatusChanged)
            {
                WritePayload(tx, PayloadTable.CustomStatus, commit.InstanceId, update.CustomStatus);
            }

            if (update.Output is not null || update.Status.IsTerminal())
            {
                WritePayload(tx, PayloadTable.Output, commit.InstanceId, update.Output);
            }

            if (history.Count > 0)
            {
                var insertHistory = Prepared(tx, "INSERT INTO History (InstanceId, SequenceNumber, EventType, Timestamp, Payload) VALUES ($id, $seq, $type, $ts, $payload)");
                var seq = insertHistory.Parameters.Add("$seq", SqliteType.Integer);
                var type = insertHistory.Parameters.Add("$type", SqliteType.Text);
                var ts = insertHistory.Parameters.Add("$ts", SqliteType.Integer);
                var payload = insertHistory.Parameters.Add("$payload", SqliteType.Text);
                insertHistory.Parameters.AddWithValue("$id", commit.InstanceId);
                long next = commit.HistoryStart;
                foreach (var historyEvent in history)
                {
                    seq.Value = next++;
                    type.Value = historyEvent.Type;
                    ts.Value = historyEvent.Timestamp;
                    payload.Value = historyEvent.Payload;
                    insertHistory.ExecuteNonQuery();
                }
            }

            DeleteMessages(tx, commit.ConsumedMessageIds);

            var leased = new List<ActivityWorkItem>(commit.LeaseActivities?.Count ?? 0);
            if (commit.NewActivities.Count > 0)
            {
                // The first LeaseActivities.Count go to the committing worker at once, leased as LockActivitiesAsync would lease them.
                var insertTask = Prepared(tx, """
                    INSERT INTO ActivityTasks (InstanceId, ExecutionId, TaskId, Name, Input, LockedBy, LockExpiration, DequeueCount)
                    VALUES ($id, $execution, $taskId, $name, $input, $lockedBy, $expiration, $dequeued) RETURNING Id
                    """);
                insertTask.Parameters.AddWithValue("$id", commit.InstanceId);
                insertTask.Parameters.AddWithValue("$execution", commit.ExecutionId);
                var taskId = insertTask.Parameters.Add("$taskId", SqliteType.Integer);
                var name = insertTask.Parameters.Add("$name", SqliteType.Text);
                var input = insertTask.Parameters.Add("$input", SqliteType.Text);
                var lockedBy = insertTask.Parameters.Add("$lockedBy", SqliteType.Text);
                var expiration = insertTask.Parameters.Add("$expiration", SqliteType.Integer);
                var dequeued = insertTask.Parameters.Add("$dequeued", SqliteType.Integer);
                long until = commit.LeaseActivities is { } activityLease ? ToMs(activityLease.Until) : 0;
                for (int i = 0; i < commit.NewActivities.Count; i++)
                {
                    var activity = commit.NewActivities[i];
                    bool lease = i < (commit.LeaseActivities?.Count ?? 0);
                    taskId.Value = activity.TaskId;
                    name.Value = activity.Name;
                    input.Value = (object?)activity.Input ?? DBNull.Value;
                    lockedBy.Value = lease ? commit.WorkerId : DBNull.Value;
                    expiration.Value = lease ? until : 0;
                    dequeued.Value = lease ? 1 : 0;
                    long id = (long)insertTask.ExecuteScalar()!;
                    if (lease)
                    {
                        leased.Add(new ActivityWorkItem(id, commit.InstanceId, commit.ExecutionId, activity.TaskId, activity.Name, activity.Input, 1));
                    }
                }
            }

            var messages = new List<OutgoingMessage>(commit.NewMessages);
            for (int i = 0; i < commit.NewChildren.Count; i++)
            {
                var child = commit.NewChildren[i];
                var existing = ReadInstance(tx, child.InstanceId, withPayloads: false);
                if (existing is not null && !existing.Status.IsTerminal())
                {
                    messages.Add(new OutgoingMessage(commit.InstanceId, commit.ExecutionId, commit.Now, new SubOrchestrationInstanceFailedEvent(
                        child.Parent.TaskId,
                        new TaskFailureDetails(typeof(global::DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException).FullName!, InstanceExistsMessage(child.InstanceId, existing.Status), null, null, null))
                    { Timestamp = commit.Now }));
                    continue;
                }

                ResetInstance(tx, child.InstanceId, child.Name, child.Input, child.ExecutionId, child.Parent, commit.Now);
                messages.Add(childStarts[i]);
            }

            if (commit.NextExecution is { } nextExecution)
            {
                StartNextExecution(tx, commit, nextExecution, messages);
            }

            InsertMessages(tx, messages);

            if (update.Status.IsTerminal())
            {
                // Work not yet handed to a worker is withdrawn; work already running finishes and its result is dropped.
                Execute(tx, "DELETE FROM ActivityTasks WHERE InstanceId = $id AND LockExpiration <= $now", ("$id", commit.InstanceId), ("$now", nowMs));
                // Pending timers and late messages would only be discarded by a later turn: drop them now.
                Execute(tx, "DELETE FROM NewEvents WHERE InstanceId = $id", ("$id", commit.InstanceId));
            }

            // Messages that arrived while the instance was locked wake the dispatcher again: nothing else would.
            bool more = !update.Status.IsTerminal() && Prepared(tx, "SELECT EXISTS (SELECT 1 FROM NewEvents WHERE InstanceId = $id AND VisibleTime <= $now)",
                ("$id", commit.InstanceId), ("$now", nowMs)).ExecuteScalar() is 1L;
            return new CommittedTurn(leased, more);
        }, cancellationToken);
    }

    /// <summary>Replaces the instance's execution with a fresh one (ContinueAsNew): new id, empty history, the new input, carried events.</summary>
    private static void StartNextExecution(SqliteTransaction tx, TurnCommit commit, NextExecution next, List<OutgoingMessage> messages)
    {
        var started = ReadInstance(tx, commit.InstanceId, withPayloads: false)!;
        ParentInstanceInfo? parent = started.ParentInstanceId is { } parentId && started.ParentTaskId is { } taskId
            ? new ParentInstanceInfo(LoadStartedName(tx, commit.InstanceId) ?? started.Name, parentId, taskId, started.ParentExecutionId)
            : null;
        Execute(tx, "DELETE FROM History WHERE InstanceId = $id", ("$id", commit.InstanceId));
        // Work of the old execution that no worker holds yet is withdrawn; results of running work are stale and dropped.
        Execute(tx, "DELETE FROM ActivityTasks WHERE InstanceId = $id AND LockExpiration <= $now", ("$id", commit.InstanceId), ("$now", ToMs(commit.Now)));
        Execute(tx, "DELETE FROM NewEvents WHERE InstanceId = $id AND ExecutionId IS NOT NULL", ("$id", commit.InstanceId));
        Execute(tx, "UPDATE Instances SET ExecutionId = $execution, FailureDetails = NULL, HistoryCount = 0 WHERE InstanceId = $id",
            ("$execution", next.ExecutionId), ("$id", commit.InstanceId));
        WritePayload(tx, PayloadTable.Input, commit.InstanceId, next.Request.Input);
        WritePayload(tx, PayloadTable.Output, commit.InstanceId, null);
        messages.Add(new OutgoingMessage(commit.InstanceId, next.ExecutionId, commit.Now,
            new ExecutionStartedEvent(started.Name, next.Request.Input, next.ExecutionId, parent, next.Request.Version) { Timestamp = commit.Now }));
        foreach (var (name, input) in next.Request.CarriedEvents)
        {
            messages.Add(new OutgoingMessage(commit.InstanceId, next.ExecutionId, commit.Now, new EventRaisedEvent(name, input) { Timestamp = commit.Now }));
        }
    }

    /// <summary>Reads the parent's name from the execution's start event (the instance row keeps only the parent's id).</summary>
    private static string? LoadStartedName(SqliteTransaction tx, string instanceId)
    {
        using var command = Command(tx, "SELECT Payload FROM History WHERE InstanceId = $id AND EventType = 'ExecutionStarted' ORDER BY SequenceNumber LIMIT 1", ("$id", instanceId));
        return command.ExecuteScalar() is string json && HistorySerializer.Deserialize(json) is ExecutionStartedEvent { Parent: { } parent } ? parent.Name : null;
    }

    /// <summary>The Durable Task Framework's words for a live instance id, so callers see the same message on every runtime.</summary>
    private static string InstanceExistsMessage(string instanceId, OrchestrationRuntimeStatus status) =>
        $"An orchestration with id '{instanceId}' already exists. It's in the {status} state.";

    /// <summary>Deletes messages that no longer concern the instance (it finished, or they belong to an earlier execution) and releases its lock.</summary>
    public Task DiscardMessagesAsync(string instanceId, string workerId, IReadOnlyList<long> messageIds, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            DeleteMessages(tx, messageIds);
            return Execute(tx, "UPDATE Instances SET LockedBy = NULL, LockExpiration = 0 WHERE InstanceId = $id AND LockedBy = $worker",
                ("$id", instanceId), ("$worker", workerId));
        }, cancellationToken);

    /// <summary>Releases a lock without committing, keeping the instance out of reach until <paramref name="retryAt"/>.</summary>
    public Task AbandonOrchestrationAsync(string instanceId, string workerId, DateTime retryAt, CancellationToken cancellationToken) =>
        WriteAsync(tx => Execute(tx, "UPDATE Instances SET LockedBy = NULL, LockExpiration = $retry WHERE InstanceId = $id AND LockedBy = $worker",
            ("$retry", ToMs(retryAt)), ("$id", instanceId), ("$worker", workerId)), cancellationToken);

    /// <summary>Gets the earliest future time at which a message becomes visible, if any.</summary>
    public Task<DateTime?> GetNextMessageVisibleTimeAsync(DateTime now, CancellationToken cancellationToken) =>
        ReadAsync(connection =>
        {
            object? value = Prepared(connection, null, "SELECT MIN(VisibleTime) FROM NewEvents WHERE VisibleTime > $now", ("$now", ToMs(now))).ExecuteScalar();
            return value is long ms ? FromMs(ms) : (DateTime?)null;
        }, cancellationToken);

    // ----- activity work items -----

    /// <summary>Leases up to <paramref name="max"/> activity work items that nobody holds.</summary>
    public Task<IReadOnlyList<ActivityWorkItem>> LockActivitiesAsync(string workerId, DateTime now, TimeSpan lease, int max, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<ActivityWorkItem>>(tx =>
        {
            var items = new List<ActivityWorkItem>();
            // Ordered as IX_ActivityTasks_Lock is, so the lease walks that index from its free end and stops at $max: ordered
            // by Id alone it scanned the table past every leased row still in flight (a fan-out's results wait in batches).
            var command = Prepared(tx, """
                UPDATE ActivityTasks SET LockedBy = $w, LockExpiration = $exp, DequeueCount = DequeueCount + 1
                WHERE Id IN (SELECT Id FROM ActivityTasks WHERE LockExpiration <= $now ORDER BY LockExpiration, Id LIMIT $max)
                RETURNING Id, InstanceId, ExecutionId, TaskId, Name, Input, DequeueCount
                """, ("$w", workerId), ("$exp", ToMs(now + lease)), ("$now", ToMs(now)), ("$max", max));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                items.Add(new ActivityWorkItem(
                    reader.GetInt64(0),
                    reader.GetString(1),
                    reader.GetString(2),
                    reader.GetInt32(3),
                    reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5),
                    reader.GetInt32(6)));
            }

            items.Sort((a, b) => a.Id.CompareTo(b.Id));
            return items;
        }, cancellationToken);

    /// <summary>Records activity results as messages to their orchestrations; a result whose lease was lost is dropped.</summary>
    /// <returns>The number of results dropped because another worker holds the item now.</returns>
    public Task<int> CompleteActivitiesAsync(string workerId, IReadOnlyList<ActivityResult> results, DateTime now, CancellationToken cancellationToken)
    {
        var outgoing = results.Select(result => new OutgoingMessage(result.WorkItem.InstanceId, result.WorkItem.ExecutionId, now, result.Event)).ToList();
        return WriteAsync(tx =>
        {
            int lost = 0;
            var messages = new List<OutgoingMessage>(results.Count);
            var delete = Prepared(tx, "DELETE FROM ActivityTasks WHERE Id = $id AND LockedBy = $w");
            var id = delete.Parameters.Add("$id", SqliteType.Integer);
            delete.Parameters.AddWithValue("$w", workerId);
            for (int i = 0; i < results.Count; i++)
            {
                id.Value = results[i].WorkItem.Id;
                if (delete.ExecuteNonQuery() == 0)
                {
                    lost++;
                    continue;
                }

                messages.Add(outgoing[i]);
            }

            InsertMessages(tx, messages);
            return lost;
        }, cancellationToken);
    }

    /// <summary>Extends the leases this worker holds on running activities.</summary>
    public Task RenewActivityLeasesAsync(string workerId, DateTime leaseUntil, CancellationToken cancellationToken) =>
        WriteAsync(tx => Execute(tx, "UPDATE ActivityTasks SET LockExpiration = $exp WHERE LockedBy = $w AND LockExpiration > 0",
            ("$exp", ToMs(leaseUntil)), ("$w", workerId)), cancellationToken);

    /// <summary>Hands running activities back unfinished (on shutdown), so the next worker starts them at once.</summary>
    public Task ReleaseActivitiesAsync(string workerId, IReadOnlyCollection<long> ids, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            foreach (long id in ids)
            {
                Execute(tx, "UPDATE ActivityTasks SET LockedBy = NULL, LockExpiration = 0 WHERE Id = $id AND LockedBy = $w", ("$id", id), ("$w", workerId));
            }

            return ids.Count;
        }, cancellationToken);

    /// <summary>Releases every lock held by a worker that <paramref name="isDead"/> says is gone, so its work resumes without waiting for the lease.</summary>
    public Task<IReadOnlyList<string>> ReleaseLocksOfDeadWorkersAsync(Func<string, bool> isDead, DateTime now, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<string>>(tx =>
        {
            var owners = new List<string>();
            using (var select = Command(tx, """
                SELECT LockedBy FROM Instances WHERE LockedBy IS NOT NULL AND LockExpiration > $now
                UNION SELECT LockedBy FROM ActivityTasks WHERE LockedBy IS NOT NULL AND LockExpiration > $now
                """, ("$now", ToMs(now))))
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    owners.Add(reader.GetString(0));
                }
            }

            var dead = owners.Where(isDead).ToList();
            foreach (string owner in dead)
            {
                Execute(tx, "UPDATE Instances SET LockedBy = NULL, LockExpiration = 0 WHERE LockedBy = $w", ("$w", owner));
                Execute(tx, "UPDATE ActivityTasks SET LockedBy = NULL, LockExpiration = 0 WHERE LockedBy = $w", ("$w", owner));
            }

            return dead;
        }, cancellationToken);

    // ----- client operations -----

    /// <summary>Creates (or replaces a finished) instance and queues its start message.</summary>
    /// <exception cref="InvalidOperationException">An instance with that id is still live.</exception>
    public Task CreateInstanceAsync(string instanceId, string name, string? input, string? version, string executionId, DateTime now, DateTime startAt, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var existing = ReadInstance(tx, instanceId, withPayloads: false);
            if (existing is not null && !existing.Status.IsTerminal())
            {
                throw new global::DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException(InstanceExistsMessage(instanceId, existing.Status));
            }

            ResetInstance(tx, instanceId, name, input, executionId, parent: null, now);
            InsertMessages(tx, [new OutgoingMessage(instanceId, executionId, startAt,
                new ExecutionStartedEvent(name, input, executionId, null, version) { Timestamp = now }, NeverEarly: startAt > now)]);
            return 0;
        }, cancellationToken);

    /// <summary>Reads SQLite's <c>synchronous</c> setting of this store's connection (1 = NORMAL, 2 = FULL), to show which durability is in force.</summary>
    public Task<long> GetSynchronousModeAsync(CancellationToken cancellationToken) =>
        ReadAsync(connection =>
        {
            using var command = Command(connection, null, "PRAGMA synchronous");
            return (long)command.ExecuteScalar()!;
        }, cancellationToken);

    /// <summary>Reads one instance, or <c>null</c>.</summary>
    public Task<InstanceRecord?> GetInstanceAsync(string instanceId, bool withPayloads, CancellationToken cancellationToken) =>
        ReadAsync(connection => ReadInstance(connection, null, instanceId, withPayloads), cancellationToken);

    /// <summary>Queues a message (event or command) for a live instance.</summary>
    /// <returns>The instance as it was, or <c>null</c> when there is none; nothing is queued for a missing or finished instance.</returns>
    public Task<InstanceRecord?> EnqueueForLiveInstanceAsync(string instanceId, HistoryEvent message, DateTime now, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var existing = ReadInstance(tx, instanceId, withPayloads: false);
            if (existing is not null && !existing.Status.IsTerminal())
            {
                // No execution id: an event or command goes to whichever execution is current when it is consumed.
                InsertMessages(tx, [new OutgoingMessage(instanceId, null, now, message)]);
            }

            return existing;
        }, cancellationToken);

    /// <summary>Lists the ids of an instance's live descendants (sub-orchestrations, theirs, and so on).</summary>
    public Task<IReadOnlyList<string>> GetDescendantsAsync(string instanceId, bool liveOnly, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<string>>(connection =>
        {
            var found = new List<string>();
            using var command = Command(connection, null, $"""
                WITH RECURSIVE Tree(Id) AS (
                    SELECT InstanceId FROM Instances WHERE ParentInstanceId = $id
                    UNION SELECT i.InstanceId FROM Instances i JOIN Tree t ON i.ParentInstanceId = t.Id)
                SELECT i.InstanceId FROM Instances i JOIN Tree t ON i.InstanceId = t.Id
                {(liveOnly ? "WHERE i.RuntimeStatus NOT IN ('Completed', 'Failed', 'Terminated', 'Canceled')" : string.Empty)}
                """, ("$id", instanceId));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                found.Add(reader.GetString(0));
            }

            return found;
        }, cancellationToken);

    /// <summary>Deletes finished instances that match, with their history and leftover messages.</summary>
    public Task<int> PurgeAsync(IReadOnlyCollection<string>? instanceIds, PurgeInstancesFilter? filter, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var where = new StringBuilder("RuntimeStatus IN ('Completed', 'Failed', 'Terminated')");
            var parameters = new List<(string, object?)>();
            if (instanceIds is not null)
            {
                var names = instanceIds.Select((id, i) => (Name: $"$id{i}", Value: id)).ToList();
                where.Append(" AND InstanceId IN (").Append(names.Count == 0 ? "NULL" : string.Join(", ", names.Select(n => n.Name))).Append(')');
                parameters.AddRange(names.Select(n => (n.Name, (object?)n.Value)));
            }

            AppendFilters(where, parameters, filter?.CreatedFrom, filter?.CreatedTo, filter?.Statuses, prefix: null);
            var ids = new List<string>();
            using (var select = Command(tx, $"SELECT InstanceId FROM Instances WHERE {where}", [.. parameters]))
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    ids.Add(reader.GetString(0));
                }
            }

            foreach (string id in ids)
            {
                DeleteInstanceData(tx, id);
                Execute(tx, "DELETE FROM Instances WHERE InstanceId = $id", ("$id", id));
            }

            return ids.Count;
        }, cancellationToken);

    /// <summary>Lists instances in creation order with keyset paging.</summary>
    public Task<(IReadOnlyList<InstanceRecord> Page, string? ContinuationToken)> QueryAsync(OrchestrationQuery query, CancellationToken cancellationToken) =>
        ReadAsync<(IReadOnlyList<InstanceRecord>, string?)>(connection =>
        {
            var where = new StringBuilder("1 = 1");
            var parameters = new List<(string, object?)>();
            AppendFilters(where, parameters, query.CreatedFrom, query.CreatedTo, query.Statuses, query.InstanceIdPrefix);
            if (DecodeToken(query.ContinuationToken) is { } after)
            {
                where.Append(" AND (CreatedTime > $afterTime OR (CreatedTime = $afterTime AND InstanceId > $afterId))");
                parameters.Add(("$afterTime", after.CreatedMs));
                parameters.Add(("$afterId", after.InstanceId));
            }

            int pageSize = Math.Clamp(query.PageSize, 1, 1000);
            parameters.Add(("$limit", pageSize + 1));
            var rows = new List<InstanceRecord>();
            using var command = Command(connection, null,
                $"SELECT {InstanceColumns(query.FetchInputsAndOutputs)} FROM Instances WHERE {where} ORDER BY CreatedTime, InstanceId LIMIT $limit", [.. parameters]);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(ReadInstanceRow(reader, query.FetchInputsAndOutputs));
            }

            string? token = null;
            if (rows.Count > pageSize)
            {
                rows.RemoveAt(rows.Count - 1);
                var last = rows[^1];
                token = EncodeToken(ToMs(last.CreatedTime), last.InstanceId);
            }

            return (rows, token);
        }, cancellationToken);

    // ----- helpers -----

    private static void AppendFilters(
        StringBuilder where,
        List<(string, object?)> parameters,
        DateTimeOffset? createdFrom,
        DateTimeOffset? createdTo,
        IEnumerable<OrchestrationRuntimeStatus>? statuses,
        string? prefix)
    {
        if (createdFrom is { } from)
        {
            where.Append(" AND CreatedTime >= $from");
            parameters.Add(("$from", from.ToUnixTimeMilliseconds()));
        }

        if (createdTo is { } to)
        {
            where.Append(" AND CreatedTime <= $to");
            parameters.Add(("$to", to.ToUnixTimeMilliseconds()));
        }

        if (statuses?.ToList() is { Count: > 0 } statusList)
        {
            var names = statusList.Select((s, i) => (Name: $"$status{i}", Value: s.ToString())).ToList();
            where.Append(" AND RuntimeStatus IN (").Append(string.Join(", ", names.Select(n => n.Name))).Append(')');
            parameters.AddRange(names.Select(n => (n.Name, (object?)n.Value)));
        }

        if (prefix is not null)
        {
            // substr comparison instead of LIKE: ids may contain % and _.
            where.Append(" AND substr(InstanceId, 1, length($prefix)) = $prefix");
            parameters.Add(("$prefix", prefix));
        }
    }

    private static string EncodeToken(long createdMs, string instanceId) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{createdMs.ToString(CultureInfo.InvariantCulture)}|{instanceId}"));

    private static (long CreatedMs, string InstanceId)? DecodeToken(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            string text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            int bar = text.IndexOf('|', StringComparison.Ordinal);
            return (long.Parse(text.AsSpan(0, bar), CultureInfo.InvariantCulture), text[(bar + 1)..]);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException)
        {
            throw new ArgumentException("The continuation token is not one this task hub issued.", nameof(token), ex);
        }
    }

    private static void ResetInstance(SqliteTransaction tx, string instanceId, string name, string? input, string executionId, ParentInstanceInfo? parent, DateTime now)
    {
        DeleteInstanceData(tx, instanceId);
        long nowMs = ToMs(now);
        Execute(tx, """
            INSERT OR REPLACE INTO Instances (InstanceId, ExecutionId, Name, RuntimeStatus, ParentInstanceId, ParentTaskId, ParentExecutionId, CreatedTime, LastUpdatedTime, HistoryCount, LockExpiration)
            VALUES ($id, $execution, $name, 'Pending', $parent, $parentTask, $parentExecution, $now, $now, 0, 0)
            """,
            ("$id", instanceId), ("$execution", executionId), ("$name", name),
            ("$parent", parent?.InstanceId), ("$parentTask", parent?.TaskId), ("$parentExecution", parent?.ExecutionId), ("$now", nowMs));
        if (input is not null)
        {
            WritePayload(tx, PayloadTable.Input, instanceId, input);
        }
    }

    /// <summary>
    /// Stores (or, for <c>null</c>, removes) an instance's input, output or custom status in its own table
    /// (<c>InstanceInputs</c>, <c>InstanceOutputs</c>, <c>InstanceCustomStatus</c>), out of the <c>Instances</c> row:
    /// that row is read and rewritten by every lock and every turn, and its table stays compact only while rows are small.
    /// </summary>
    private static void WritePayload(SqliteTransaction tx, PayloadTable table, string instanceId, string? payload)
    {
        if (payload is null)
        {
            Execute(tx, table.Delete, ("$id", instanceId));
        }
        else
        {
            Execute(tx, table.Upsert, ("$id", instanceId), ("$payload", payload));
        }
    }

    /// <summary>The SQL of one payload table.</summary>
    private sealed record PayloadTable(string Delete, string Upsert, string Select)
    {
        public static readonly PayloadTable Input = Of("InstanceInputs", "Input");
        public static readonly PayloadTable Output = Of("InstanceOutputs", "Output");
        public static readonly PayloadTable CustomStatus = Of("InstanceCustomStatus", "CustomStatus");

        private static PayloadTable Of(string table, string column) => new(
            $"DELETE FROM {table} WHERE InstanceId = $id",
            $"INSERT OR REPLACE INTO {table} (InstanceId, {column}) VALUES ($id, $payload)",
            $"(SELECT p.{column} FROM {table} p WHERE p.InstanceId = Instances.InstanceId)");
    }

    private static void DeleteInstanceData(SqliteTransaction tx, string instanceId)
    {
        Execute(tx, "DELETE FROM History WHERE InstanceId = $id", ("$id", instanceId));
        Execute(tx, "DELETE FROM NewEvents WHERE InstanceId = $id", ("$id", instanceId));
        Execute(tx, "DELETE FROM ActivityTasks WHERE InstanceId = $id", ("$id", instanceId));
        Execute(tx, PayloadTable.Input.Delete, ("$id", instanceId));
        Execute(tx, PayloadTable.Output.Delete, ("$id", instanceId));
        Execute(tx, PayloadTable.CustomStatus.Delete, ("$id", instanceId));
    }

    private static void DeleteMessages(SqliteTransaction tx, IReadOnlyList<long> ids)
    {
        if (ids.Count == 0)
        {
            return;
        }

        var delete = Prepared(tx, "DELETE FROM NewEvents WHERE Id = $id");
        var id = delete.Parameters.Add("$id", SqliteType.Integer);
        foreach (long value in ids)
        {
            id.Value = value;
            delete.ExecuteNonQuery();
        }
    }

    private static void InsertMessages(SqliteTransaction tx, IReadOnlyList<OutgoingMessage> messages)
    {
        if (messages.Count == 0)
        {
            return;
        }

        var insert = Prepared(tx,
            "INSERT INTO NewEvents (InstanceId, ExecutionId, EventType, VisibleTime, Payload) SELECT $id, $execution, $type, $visible, $payload WHERE $always = 1 OR EXISTS (SELECT 1 FROM Instances WHERE InstanceId = $id)");
        var always = insert.Parameters.Add("$always", SqliteType.Integer);
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var execution = insert.Parameters.Add("$execution", SqliteType.Text);
        var type = insert.Parameters.Add("$type", SqliteType.Text);
        var visible = insert.Parameters.Add("$visible", SqliteType.Integer);
        var payload = insert.Parameters.Add("$payload", SqliteType.Text);
        foreach (var message in messages)
        {
            id.Value = message.InstanceId;
            execution.Value = (object?)message.ExecutionId ?? DBNull.Value;
            type.Value = message.Event.EventType.ToString();
            // Everything but a timer and a scheduled start is visible at once: rounding those up would delay them for nothing.
            visible.Value = message.NeverEarly || message.Event is TimerFiredEvent ? ToMsRoundedUp(message.VisibleAt) : ToMs(message.VisibleAt);
            always.Value = message.OnlyIfInstanceExists ? 0 : 1;
            payload.Value = message.Payload;
            insert.ExecuteNonQuery();
        }
    }

    private static readonly string SelectInstance = $"SELECT {InstanceColumns(withPayloads: false)} FROM Instances WHERE InstanceId = $id";
    private static readonly string SelectInstanceWithPayloads = $"SELECT {InstanceColumns(withPayloads: true)} FROM Instances WHERE InstanceId = $id";

    private static string InstanceColumns(bool withPayloads) => withPayloads
        ? "InstanceId, ExecutionId, Name, RuntimeStatus, CreatedTime, LastUpdatedTime, HistoryCount, ParentInstanceId, ParentTaskId, ParentExecutionId, FailureDetails, " + PayloadTable.Input.Select + ", " + PayloadTable.Output.Select + ", " + PayloadTable.CustomStatus.Select
        : "InstanceId, ExecutionId, Name, RuntimeStatus, CreatedTime, LastUpdatedTime, HistoryCount, ParentInstanceId, ParentTaskId, ParentExecutionId, FailureDetails";

    private static InstanceRecord? ReadInstance(SqliteTransaction tx, string instanceId, bool withPayloads) =>
        ReadInstance(tx.Connection!, tx, instanceId, withPayloads);

    private static InstanceRecord? ReadInstance(SqliteConnection connection, SqliteTransaction? tx, string instanceId, bool withPayloads)
    {
        using var reader = Prepared(connection, tx, withPayloads ? SelectInstanceWithPayloads : SelectInstance, ("$id", instanceId)).ExecuteReader();
        return reader.Read() ? ReadInstanceRow(reader, withPayloads) : null;
    }

    private static InstanceRecord ReadInstanceRow(SqliteDataReader reader, bool withPayloads) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        Enum.Parse<OrchestrationRuntimeStatus>(reader.GetString(3)),
        FromMs(reader.GetInt64(4)),
        FromMs(reader.GetInt64(5)),
        reader.GetInt64(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.IsDBNull(8) ? null : reader.GetInt32(8),
        reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.IsDBNull(10) ? null : HistorySerializer.DeserializeFailure(reader.GetString(10)),
        withPayloads && !reader.IsDBNull(11) ? reader.GetString(11) : null,
        withPayloads && !reader.IsDBNull(12) ? reader.GetString(12) : null,
        withPayloads && !reader.IsDBNull(13) ? reader.GetString(13) : null);

    internal static long ToMs(DateTime time) =>
        new DateTimeOffset(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time.ToUniversalTime()).ToUnixTimeMilliseconds();

    /// <summary>Rounds up, so a timer never becomes visible before its fire time.</summary>
    internal static long ToMsRoundedUp(DateTime time)
    {
        DateTime utc = time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time.ToUniversalTime();
        long ms = ToMs(utc);
        return FromMs(ms) < utc ? ms + 1 : ms;
    }

    internal static DateTime FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
}
