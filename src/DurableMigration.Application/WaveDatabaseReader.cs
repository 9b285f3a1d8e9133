using DurableMigration.Migration;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Application;

/// <summary>Reads a wave's database orchestrations a page at a time: their live status or result, and their step timelines.</summary>
/// <remarks>
/// A monitor refreshing a wave of a thousand databases must not read each instance on its own: every page here is one
/// instance query by the prefix <c>&lt;wave&gt;:</c>, so a refresh costs one query per page, and a page holds only what
/// the caller shows (the command line's <see cref="WaveView"/> reads all of a wave's databases in one query instead).
/// Timelines read one history per database of the page and are meant to be fetched on demand, not on every refresh.
/// </remarks>
/// <param name="client">The client of the task hub holding the waves; it must use <see cref="WaveJson.DataConverter"/>.</param>
public sealed class WaveDatabaseReader(DurableTaskClient client)
{
    /// <summary>The page size when the caller names none.</summary>
    public const int DefaultPageSize = 100;

    /// <summary>The largest page size.</summary>
    public const int MaxPageSize = 1000;

    private readonly DurableTaskClient _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>
    /// One page of <paramref name="waveId"/>'s database orchestrations in the order they started, each with its live
    /// <see cref="DatabaseStatus"/> while it runs and its <see cref="DatabaseMigrationResult"/> once it ended; <c>null</c>
    /// when there is no such wave. Databases not started yet are not instances, so they are not listed (the wave's
    /// manifest names them). A page may hold fewer than <paramref name="pageSize"/> databases (other instances named
    /// <c>&lt;wave&gt;:…</c>, such as the rollback, take places in the query's page) and still have a next one.
    /// </summary>
    public async Task<DatabasePage?> ListAsync(string waveId, int pageSize = DefaultPageSize, string? continuationToken = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(waveId);
        if (await _client.GetInstanceAsync(waveId, cancellation: cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var (instances, next) = await PageAsync(waveId, pageSize, continuationToken, cancellationToken).ConfigureAwait(false);
        var databases = instances.Select(i => new DatabaseEntry(
            DatabaseName(waveId, i),
            i,
            i.IsCompleted ? null : i.ReadCustomStatusAs<DatabaseStatus>(),
            i.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? i.ReadOutputAs<DatabaseMigrationResult>() : null)).ToList();
        return new DatabasePage(waveId, databases, next);
    }

    /// <summary>
    /// The step timelines of one page of <paramref name="waveId"/>'s database orchestrations (one history read per
    /// database of the page), or of <paramref name="database"/> alone when it is named; <c>null</c> when there is no such
    /// wave, or no such started database.
    /// </summary>
    public async Task<TimelinePage?> TimelinesAsync(string waveId, string? database = null, int pageSize = 50, string? continuationToken = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(waveId);
        if (await _client.GetInstanceAsync(waveId, cancellation: cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        IReadOnlyList<OrchestrationMetadata> instances;
        string? next = null;
        if (database is not null)
        {
            var one = await _client.GetInstanceAsync(MigrationNames.DatabaseInstanceId(waveId, database), cancellation: cancellationToken).ConfigureAwait(false);
            if (one is null || one.Name != MigrationNames.DatabaseMigrationOrchestration)
            {
                return null;
            }

            instances = [one];
        }
        else
        {
            (instances, next) = await PageAsync(waveId, pageSize, continuationToken, cancellationToken).ConfigureAwait(false);
        }

        // A database's assessment runs in the wave's orchestration, and a finished wave's rollback compensates every
        // database in its own: their activities name the database in their input (references only, never resolved).
        var extra = await SpansByDatabaseAsync(waveId, cancellationToken).ConfigureAwait(false);
        extra.AddRange(await SpansByDatabaseAsync(MigrationNames.RollbackInstanceId(waveId), cancellationToken).ConfigureAwait(false));
        var timelines = new List<DatabaseTimeline>(instances.Count);
        foreach (var instance in instances)
        {
            string name = DatabaseName(waveId, instance);
            var history = HistoryRow.From(await _client.GetOrchestrationHistoryAsync(instance.InstanceId, cancellationToken).ConfigureAwait(false));
            var spans = TimelineSpan.From(history, instance.IsCompleted)
                .Concat(extra.Where(e => string.Equals(e.Database, name, StringComparison.OrdinalIgnoreCase)).Select(e => e.Span))
                .OrderBy(s => s.Start)
                .ToList();
            timelines.Add(new DatabaseTimeline(name, instance.InstanceId, instance.RuntimeStatus, spans));
        }

        return new TimelinePage(waveId, timelines, next);
    }

    /// <summary>The activities of <paramref name="instanceId"/> (the wave, or its rollback) by the database their input names, each step of a database merged into one span.</summary>
    private async Task<List<(string Database, TimelineSpan Span)>> SpansByDatabaseAsync(string instanceId, CancellationToken cancellationToken)
    {
        var spans = new List<(string Database, TimelineSpan Span)>();
        if (await _client.GetInstanceAsync(instanceId, cancellation: cancellationToken).ConfigureAwait(false) is not { } instance)
        {
            return spans;
        }

        var events = await _client.GetOrchestrationHistoryAsync(instanceId, cancellationToken).ConfigureAwait(false);
        var databaseOf = new Dictionary<int, string>();
        foreach (var scheduled in events.OfType<DurableTask.Core.History.TaskScheduledEvent>())
        {
            if (DatabaseNamed(scheduled.Input) is { } database)
            {
                databaseOf[scheduled.EventId] = database;
            }
        }

        var rows = HistoryRow.From(events);
        foreach (var database in databaseOf.Values.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            // The rows of this database's activities only (timers and events are the wave's, not the database's).
            var own = rows.Where(r => r.TaskId is { } id && r.EventType.StartsWith("Task", StringComparison.Ordinal)
                && databaseOf.TryGetValue(id, out string? name) && string.Equals(name, database, StringComparison.OrdinalIgnoreCase)).ToList();
            spans.AddRange(TimelineSpan.From(own, instance.IsCompleted).Select(s => (database, s)));
        }

        return spans;
    }

    /// <summary>The database a step activity's input names (<c>database.name</c> of a <see cref="DatabaseStepInput"/>), if it names one.</summary>
    private static string? DatabaseNamed(string? input)
    {
        if (string.IsNullOrEmpty(input))
        {
            return null;
        }

        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(input);
            return json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && json.RootElement.TryGetProperty("database", out var database)
                && database.ValueKind == System.Text.Json.JsonValueKind.Object
                && database.TryGetProperty("name", out var name)
                && name.ValueKind == System.Text.Json.JsonValueKind.String
                ? name.GetString()
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string DatabaseName(string waveId, OrchestrationMetadata instance) => instance.InstanceId[(waveId.Length + 1)..];

    /// <summary>One page of the instance query by prefix, keeping only database orchestrations.</summary>
    private async Task<(IReadOnlyList<OrchestrationMetadata> Instances, string? ContinuationToken)> PageAsync(string waveId, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        int size = Math.Clamp(pageSize, 1, MaxPageSize);
        var query = new OrchestrationQuery
        {
            InstanceIdPrefix = waveId + ":",
            FetchInputsAndOutputs = true,
            PageSize = size,
            ContinuationToken = continuationToken,
        };
        await foreach (var page in _client.GetAllInstancesAsync(query).AsPages(continuationToken, size).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            // Only the first page: the caller asks for the next with the token.
            return ([.. page.Values.Where(i => i.Name == MigrationNames.DatabaseMigrationOrchestration)], page.ContinuationToken);
        }

        return ([], null);
    }
}

/// <summary>A database orchestration of a wave as a monitor lists it.</summary>
/// <param name="Database">The database's name.</param>
/// <param name="Instance">Its orchestration instance (<c>&lt;wave&gt;:&lt;database&gt;</c>), with custom status and output.</param>
/// <param name="Live">Its live status while it runs.</param>
/// <param name="Result">What happened to it, once it completed.</param>
public sealed record DatabaseEntry(string Database, OrchestrationMetadata Instance, DatabaseStatus? Live, DatabaseMigrationResult? Result);

/// <summary>One page of a wave's database orchestrations and the token of the next page (<c>null</c> on the last).</summary>
/// <param name="WaveId">The wave.</param>
/// <param name="Databases">The page's databases.</param>
/// <param name="ContinuationToken">Where the next page starts.</param>
public sealed record DatabasePage(string WaveId, IReadOnlyList<DatabaseEntry> Databases, string? ContinuationToken);

/// <summary>One page of database timelines and the token of the next page.</summary>
/// <param name="WaveId">The wave.</param>
/// <param name="Databases">Each database's timeline.</param>
/// <param name="ContinuationToken">Where the next page starts.</param>
public sealed record TimelinePage(string WaveId, IReadOnlyList<DatabaseTimeline> Databases, string? ContinuationToken);

/// <summary>One database's steps over time, from its orchestration's history.</summary>
/// <param name="Database">The database.</param>
/// <param name="InstanceId">Its orchestration instance.</param>
/// <param name="RuntimeStatus">The instance's runtime status.</param>
/// <param name="Spans">Its steps, in the order they started.</param>
public sealed record DatabaseTimeline(string Database, string InstanceId, OrchestrationRuntimeStatus RuntimeStatus, IReadOnlyList<TimelineSpan> Spans);

/// <summary>A stretch of time one database spent in a step: consecutive activities and timers of the same step merged into one bar.</summary>
/// <param name="Step">The step: <c>migrate</c>, <c>monitor</c>, <c>cutover</c>, <c>postValidate</c>, <c>remediate</c>, <c>compensate</c>, <c>approval</c>, <c>wait</c>, <c>alert</c>.</param>
/// <param name="Start">When the first activity or timer of the stretch was scheduled (UTC).</param>
/// <param name="End">When the last one ended (UTC); <c>null</c> while it runs.</param>
/// <param name="Outcome"><c>completed</c>, <c>failed</c> or <c>running</c>.</param>
/// <param name="Tasks">How many activities and timers the stretch merges.</param>
/// <param name="Detail">The failure, if one failed.</param>
public sealed record TimelineSpan(string Step, DateTime Start, DateTime? End, string Outcome, int Tasks, string? Detail)
{
    /// <summary>Builds the spans of a database orchestration's history rows; <paramref name="ended"/> closes what the history left open (a timer an event cancelled).</summary>
    public static IReadOnlyList<TimelineSpan> From(IReadOnlyList<HistoryRow> history, bool ended)
    {
        ArgumentNullException.ThrowIfNull(history);
        var open = new Dictionary<int, (string Step, DateTime Start, int Index)>();
        var tasks = new List<(string Step, DateTime Start, DateTime? End, string Outcome, string? Detail)>();
        string lastStep = "wait";
        DateTime? finished = null;
        foreach (var row in history)
        {
            switch (row.EventType)
            {
                case "TaskScheduled" when row.TaskId is { } id:
                    lastStep = StepOf(row.Name);
                    open[id] = (lastStep, row.Timestamp, tasks.Count);
                    tasks.Add((lastStep, row.Timestamp, null, "running", null));
                    break;
                case "TimerCreated" when row.TaskId is { } id:
                    // A timer belongs to the step it paces (the monitor loop's polls), else it is a wait.
                    string step = lastStep == "monitor" ? "monitor" : "wait";
                    open[id] = (step, row.Timestamp, tasks.Count);
                    tasks.Add((step, row.Timestamp, null, "running", null));
                    break;
                case "TaskCompleted" or "TimerFired" when row.TaskId is { } id && open.Remove(id, out var done):
                    tasks[done.Index] = (done.Step, done.Start, row.Timestamp, "completed", null);
                    break;
                case "TaskFailed" when row.TaskId is { } id && open.Remove(id, out var failed):
                    tasks[failed.Index] = (failed.Step, failed.Start, row.Timestamp, "failed", row.Detail);
                    break;
                case "EventRaised":
                    // An event ends the timers waiting with it (an approval's timeout, the maintenance window).
                    foreach (var (id, waiting) in open.Where(o => tasks[o.Value.Index].Step is "wait").ToList())
                    {
                        open.Remove(id);
                        string waitStep = row.Name == MigrationNames.ApproveCutoverEvent ? "approval" : "wait";
                        tasks[waiting.Index] = (waitStep, waiting.Start, row.Timestamp, "completed", null);
                    }

                    break;
                case "ExecutionCompleted" or "ExecutionTerminated":
                    finished = row.Timestamp;
                    break;
            }
        }

        if (ended)
        {
            foreach (var (_, left) in open)
            {
                var t = tasks[left.Index];
                tasks[left.Index] = (t.Step, t.Start, finished ?? t.Start, "completed", null);
            }
        }

        var spans = new List<TimelineSpan>();
        foreach (var t in tasks.OrderBy(t => t.Start))
        {
            // Merge into the latest span of the same step: the copy runs while the monitor loop polls it.
            int index = spans.FindLastIndex(s => s.Step == t.Step);
            bool adjacent = index >= 0 && (index == spans.Count - 1 || spans[index].End is null || spans[index].End >= t.Start);
            if (adjacent)
            {
                var s = spans[index];
                DateTime? end = s.End is null || t.End is null ? null : (t.End > s.End ? t.End : s.End);
                string outcome = s.Outcome == "failed" || t.Outcome == "failed" ? "failed" : end is null ? "running" : "completed";
                spans[index] = s with { End = end, Outcome = outcome, Tasks = s.Tasks + 1, Detail = s.Detail ?? t.Detail };
            }
            else
            {
                spans.Add(new TimelineSpan(t.Step, t.Start, t.End, t.Outcome, 1, t.Detail));
            }
        }

        return spans;
    }

    /// <summary>The step an activity belongs to, by its registered name.</summary>
    private static string StepOf(string? activity) => activity switch
    {
        MigrationActivityNames.MigrateSchema or MigrationActivityNames.CopyData => "migrate",
        MigrationActivityNames.GetCopyProgress => "monitor",
        MigrationActivityNames.Cutover or MigrationActivityNames.SyncChanges or MigrationActivityNames.NextCutoverWindow => "cutover",
        MigrationActivityNames.PostValidate => "postValidate",
        // The target's baseline is recorded just before consumers switch to it.
        MigrationActivityNames.RecordTargetBaseline or MigrationActivityNames.Remediate => "remediate",
        MigrationActivityNames.ValidateDatabase => "validate",
        MigrationActivityNames.SendAlert => "alert",
        _ => "compensate",
    };
}
