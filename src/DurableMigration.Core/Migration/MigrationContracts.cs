using DurableMigration.Manifest;
using DurableMigration.Providers;

namespace DurableMigration.Migration;

/// <summary>The steps of one database's migration, in order; a drill can inject a failure at any of them.</summary>
public enum MigrationStep
{
    /// <summary>Assessment: connectivity, version, size, blocking features.</summary>
    Validate,

    /// <summary>Schema, then data.</summary>
    Migrate,

    /// <summary>Progress polling while data moves.</summary>
    Monitor,

    /// <summary>Source made read-only; the final sync.</summary>
    Cutover,

    /// <summary>Source and target compared.</summary>
    PostValidate,

    /// <summary>Consumers switched to the target.</summary>
    Remediate,
}

/// <summary>Where one database stands, as operators read it.</summary>
public enum DatabaseState
{
    /// <summary>Not started.</summary>
    Pending,

    /// <summary>Waiting for the databases it depends on.</summary>
    AwaitingDependencies,

    /// <summary>Being assessed.</summary>
    Validating,

    /// <summary>Schema and data being copied.</summary>
    Migrating,

    /// <summary>Online mode: kept in sync until cutover.</summary>
    Syncing,

    /// <summary>Waiting for cutover approval or the maintenance window.</summary>
    AwaitingApproval,

    /// <summary>Source being made read-only and the last changes moved.</summary>
    CuttingOver,

    /// <summary>Source and target being compared.</summary>
    ValidatingTarget,

    /// <summary>Migrated, verified and switched.</summary>
    Completed,

    /// <summary>Failed; waiting for an operator's Retry or Rollback.</summary>
    NeedsAttention,

    /// <summary>Compensations running.</summary>
    RollingBack,

    /// <summary>Compensated: the source is as it was and consumers point at it.</summary>
    RolledBack,

    /// <summary>Not migrated because a database it depends on failed or the wave stopped.</summary>
    Skipped,

    /// <summary>Failed, and its compensations failed too: needs manual repair (see the compensation failures).</summary>
    Failed,
}

/// <summary>An undo action a completed step registers.</summary>
public enum Compensation
{
    /// <summary>Undo of the copy: remove the (partial) target.</summary>
    DropTarget,

    /// <summary>Undo of cutover: make the source writable again.</summary>
    MakeSourceWritable,

    /// <summary>Undo of remediation: point consumers back at the source.</summary>
    SwitchConsumersBack,

    /// <summary>Before undoing a cutover whose target consumers wrote to: apply the target's changes to the source (<c>--copy-back</c>).</summary>
    CopyBack,

    /// <summary>Before undoing a cutover whose target consumers wrote to: keep a backup file of the target (<c>--discard-target-writes</c>).</summary>
    BackupTarget,
}

/// <summary>What a rollback does with writes consumers made to a target after cutover.</summary>
public enum TargetWrites
{
    /// <summary>Refuse to roll the database back, and say what changed and which option to choose. The default: a rollback never discards writes without being told.</summary>
    Refuse,

    /// <summary>Apply the target's changes to the source first (a reverse sync), then roll back.</summary>
    CopyBack,

    /// <summary>Keep a backup file of the target in the data directory, then roll back (the target's writes are not in the source).</summary>
    Discard,
}

/// <summary>A rehearsal of failure: the named database fails at the named step, to exercise rollback.</summary>
/// <param name="Database">The database to fail.</param>
/// <param name="Step">The step to fail at.</param>
public sealed record DrillSpec(string Database, MigrationStep Step)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Database}:{Step}";
}

/// <summary>The wave orchestration's input.</summary>
/// <param name="Manifest">The checked manifest: connection references only, never resolved secrets.</param>
/// <param name="Drill">An injected failure, if rehearsing.</param>
/// <param name="MonitorInterval">How often progress is polled while data moves; default 2 s.</param>
/// <param name="Ticket">The change request that started the wave, when a ticketing system did.</param>
public sealed record WaveInput(WaveManifest Manifest, DrillSpec? Drill = null, TimeSpan? MonitorInterval = null, TicketReference? Ticket = null)
{
    /// <summary>Gets how many replication polls an online sync makes before its orchestration continues as new; default 100.</summary>
    public int? SyncPollsPerExecution { get; init; }
}

/// <summary>The change request in a ticketing system (ServiceNow, Jira, …) that asked for a wave or an action on it, so the wave traces back to it.</summary>
/// <param name="Id">The ticket's id in its system, such as <c>CHG0030001</c> or <c>MIG-142</c>.</param>
/// <param name="System">The ticketing system, if the message named it (<c>servicenow</c>, <c>jira</c>).</param>
/// <param name="Requester">Who asked, as the ticketing system names them.</param>
public sealed record TicketReference(string Id, string? System = null, string? Requester = null)
{
    /// <inheritdoc/>
    public override string ToString() =>
        (System is null ? Id : $"{System} {Id}") + (Requester is null ? string.Empty : $" (requested by {Requester})");
}

/// <summary>The database orchestration's input.</summary>
/// <param name="WaveId">The wave.</param>
/// <param name="Database">The database.</param>
/// <param name="Mode">Offline or online.</param>
/// <param name="Cutover">Cutover policy.</param>
/// <param name="Alerts">Alert policy.</param>
/// <param name="OnFailure">Failure policy.</param>
/// <param name="FailAt">The drill step for this database, if any.</param>
/// <param name="MonitorInterval">Progress polling interval.</param>
public sealed record DatabaseMigrationInput(
    string WaveId,
    DatabaseSpec Database,
    MigrationMode Mode,
    CutoverPolicy Cutover,
    AlertPolicy Alerts,
    FailurePolicy OnFailure,
    MigrationStep? FailAt,
    TimeSpan MonitorInterval)
{
    /// <summary>Gets how many replication polls an online sync makes before the orchestration continues as new, so a sync of weeks keeps its history short.</summary>
    public int SyncPollsPerExecution { get; init; } = 100;

    /// <summary>Gets the id of the change ticket the wave runs under, if any: it goes into the database's migration records.</summary>
    public string? TicketId { get; init; }

    /// <summary>Gets where an earlier execution of this database's orchestration stood, when it continued as new during an online sync; <c>null</c> on the first execution.</summary>
    public DatabaseMigrationContinuation? Continuation { get; init; }
}

/// <summary>What a database orchestration carries across <c>ContinueAsNew</c> while an online sync waits for its cutover gate.</summary>
/// <param name="StartedAt">When the first execution started (UTC).</param>
/// <param name="Registered">The compensations registered so far, in order.</param>
/// <param name="Steps">The steps finished so far.</param>
/// <param name="Copied">What the initial copy moved.</param>
/// <param name="Approved">Whether the cutover was already approved (the approval event was consumed by an earlier execution).</param>
/// <param name="DrillFired">Whether the drill's failure already fired.</param>
/// <param name="DurationAlerted">Whether the duration alert was already raised.</param>
/// <param name="Executions">How many executions came before this one.</param>
/// <param name="CutoverStartedAt">When the cutover step (the sync's wait for its gate) began (UTC).</param>
public sealed record DatabaseMigrationContinuation(
    DateTime StartedAt,
    DateTime CutoverStartedAt,
    IReadOnlyList<Compensation> Registered,
    IReadOnlyList<StepTiming> Steps,
    DataCopyResult? Copied,
    bool Approved,
    bool DrillFired,
    bool DurationAlerted,
    int Executions);

/// <summary>The input of a step activity.</summary>
/// <param name="WaveId">The wave.</param>
/// <param name="Database">The database (connection references only).</param>
/// <param name="InjectFailure">Fail on purpose: a drill.</param>
public sealed record DatabaseStepInput(string WaveId, DatabaseSpec Database, bool InjectFailure = false)
{
    /// <summary>Gets the wave's mode: online copies start replication, and assessment checks what online mode needs.</summary>
    public MigrationMode Mode { get; init; } = MigrationMode.Offline;
}

/// <summary>The input of the progress query.</summary>
/// <param name="WaveId">The wave.</param>
/// <param name="Database">The database.</param>
/// <param name="InjectFailure">Fail on purpose: a drill of the monitor step.</param>
public sealed record ProgressQuery(string WaveId, string Database, bool InjectFailure = false);

/// <summary>An alert to raise.</summary>
/// <param name="WaveId">The wave.</param>
/// <param name="Database">The database, if the alert concerns one.</param>
/// <param name="Kind">What happened: <c>error</c>, <c>duration</c>, <c>compensationFailed</c>, <c>needsAttention</c>.</param>
/// <param name="Message">Readable text; no secrets.</param>
/// <param name="At">When (orchestration time, UTC).</param>
public sealed record MigrationAlert(string WaveId, string? Database, string Kind, string Message, DateTime At);

/// <summary>How long one step took.</summary>
/// <param name="Step">The step.</param>
/// <param name="StartedAt">Start (UTC).</param>
/// <param name="EndedAt">End (UTC).</param>
/// <param name="Succeeded">Whether it succeeded.</param>
public sealed record StepTiming(MigrationStep Step, DateTime StartedAt, DateTime EndedAt, bool Succeeded);

/// <summary>A compensation that ran, and how it ended.</summary>
/// <param name="Compensation">What was undone.</param>
/// <param name="Succeeded">Whether it worked.</param>
/// <param name="Error">Why not, if it failed.</param>
public sealed record CompensationRecord(Compensation Compensation, bool Succeeded, string? Error)
{
    /// <summary>Gets a value indicating whether the rollback was refused before anything ran, because consumers wrote to the target since cutover and no <see cref="TargetWrites"/> choice allowed discarding or copying those writes.</summary>
    public bool Refused { get; init; }

    /// <summary>Gets a value indicating whether the refusal waits for a choice about the target's writes (<see cref="TargetWrites.CopyBack"/> or <see cref="TargetWrites.Discard"/>) rather than for a cause to be fixed.</summary>
    public bool NeedsTargetWritesChoice { get; init; }
}

/// <summary>Which connection references of a database cannot be resolved, checked without connecting before compensations run.</summary>
/// <param name="Source">Why the source connection cannot be resolved (naming the reference, never a value), or <c>null</c>.</param>
/// <param name="Target">Why the target connection cannot be resolved, or <c>null</c>.</param>
public sealed record ConnectionCheck(string? Source, string? Target)
{
    /// <summary>Gets a value indicating whether both references resolve.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Resolved => Source is null && Target is null;

    /// <summary>Describes what cannot be resolved, e.g. <c>target connection env:SALES_TARGET is not set</c>.</summary>
    /// <returns>One clause per reference that cannot be resolved.</returns>
    public string Describe() => string.Join("; ", new[] { Source, Target }.Where(e => e is not null));
}

/// <summary>What happened to one database.</summary>
/// <param name="Database">The database.</param>
/// <param name="State">Its final state.</param>
public sealed record DatabaseMigrationResult(string Database, DatabaseState State)
{
    /// <summary>Gets the step that failed, if one did.</summary>
    public MigrationStep? FailedStep { get; init; }

    /// <summary>Gets the failure, if any (type and message; no secrets).</summary>
    public string? Error { get; init; }

    /// <summary>Gets the timing of each step attempt.</summary>
    public IReadOnlyList<StepTiming> Steps { get; init; } = [];

    /// <summary>Gets the rows copied (last copy).</summary>
    public long Rows { get; init; }

    /// <summary>Gets the bytes copied (last copy).</summary>
    public long Bytes { get; init; }

    /// <summary>Gets the post-validation report, if the step ran.</summary>
    public ValidationReport? Validation { get; init; }

    /// <summary>Gets the final sync of the rows that changed on the source during the copy, if the provider records changes and cutover ran.</summary>
    public ChangeSyncResult? FinalSync { get; init; }

    /// <summary>Gets how long the source refused writes before consumers were switched to the target (cutover to the end of remediation), once it completed.</summary>
    public TimeSpan? WriteBlocked { get; init; }

    /// <summary>Gets the compensations still registered (undo actions for completed steps), in registration order.</summary>
    public IReadOnlyList<Compensation> Registered { get; init; } = [];

    /// <summary>Gets the compensations that ran, in the order they ran.</summary>
    public IReadOnlyList<CompensationRecord> CompensationsRun { get; init; } = [];

    /// <summary>Gets a value indicating whether any compensation failed.</summary>
    public bool HasCompensationFailure => CompensationsRun.Any(c => !c.Succeeded);
}

/// <summary>How a wave ended.</summary>
public enum WaveOutcome
{
    /// <summary>Every database completed.</summary>
    Completed,

    /// <summary>Assessment found blocking issues: nothing was touched.</summary>
    Blocked,

    /// <summary>Some databases completed, others were rolled back or skipped (policy rollbackDatabase).</summary>
    PartiallyCompleted,

    /// <summary>The wave was rolled back (after a failure, or on request).</summary>
    RolledBack,

    /// <summary>A compensation failed: manual repair needed.</summary>
    Failed,
}

/// <summary>The wave orchestration's output.</summary>
/// <param name="Wave">The wave id.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Databases">Per database, in manifest order.</param>
/// <param name="Assessment">The pre-flight assessment of every database.</param>
/// <param name="RollbackOrder">Databases compensated by the wave, in the order it compensated them.</param>
public sealed record WaveResult(
    string Wave,
    WaveOutcome Outcome,
    IReadOnlyList<DatabaseMigrationResult> Databases,
    IReadOnlyList<AssessmentReport> Assessment,
    IReadOnlyList<string> RollbackOrder);

/// <summary>The live status a wave publishes as custom status: its phase, how many databases are in each state, and
/// every database's state as one character in manifest order.</summary>
/// <remarks>
/// <para>Compact on purpose: the wave rewrites its status whenever a database changes state, so the status holds no
/// per-database JSON. Database names are not repeated: they are the wave's input manifest's databases, in order
/// (<c>input.manifest.databases[i].name</c> for character <c>i</c> of <see cref="States"/>). A running database's
/// details (step, progress, message) are in its own orchestration's <see cref="DatabaseStatus"/>, instance id
/// <see cref="MigrationNames.DatabaseInstanceId"/>. That orchestration tells the wave when it enters or leaves a state
/// operators watch for (awaiting approval, needs attention, syncing, cutting over), so the codes are real states, and
/// <see cref="Attention"/> lists who waits for an operator.</para>
/// <para>State codes (<see cref="CodeOf"/>): lower case while the database is on its way, upper case for where the wave
/// left it. <c>p</c> Pending, <c>d</c> AwaitingDependencies, <c>v</c> Validating, <c>m</c> Migrating, <c>s</c> Syncing,
/// <c>a</c> AwaitingApproval, <c>c</c> CuttingOver, <c>t</c> ValidatingTarget, <c>n</c> NeedsAttention, <c>r</c>
/// RollingBack; <c>C</c> Completed, <c>R</c> RolledBack, <c>S</c> Skipped, <c>F</c> Failed.</para>
/// </remarks>
/// <param name="Wave">The wave id.</param>
/// <param name="Phase">assessing, migrating, rollingBack, finished.</param>
/// <param name="Counts">How many databases are in each state; states no database is in are left out.</param>
/// <param name="States">One state code per database, in manifest order (see <see cref="CodeOf"/>).</param>
public sealed record WaveStatus(string Wave, string Phase, IReadOnlyDictionary<DatabaseState, int> Counts, string States)
{
    /// <summary>Gets the databases waiting for an operator (awaiting approval, needing attention), with the command to run; <c>null</c> when none waits, so the status stays small.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<WaveAttention>? Attention { get; init; }

    /// <summary>Gets the id of the ticket that started the wave, so a list of statuses traces each wave to its change request; <c>null</c> when no ticket did.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Ticket { get; init; }

    /// <summary>The state codes, indexed by <see cref="DatabaseState"/> value.</summary>
    private const string Codes = "pdvmsactCnrRSF";

    /// <summary>Builds the status of databases in manifest order.</summary>
    /// <param name="wave">The wave id.</param>
    /// <param name="phase">The wave's phase.</param>
    /// <param name="states">Each database's state, in manifest order.</param>
    /// <param name="attention">The databases waiting for an operator, if any.</param>
    /// <returns>The status, with <see cref="Counts"/> in <see cref="DatabaseState"/> order.</returns>
    public static WaveStatus Create(string wave, string phase, IReadOnlyList<DatabaseState> states, IReadOnlyList<WaveAttention>? attention = null)
    {
        ArgumentNullException.ThrowIfNull(states);
        var counts = new int[Codes.Length];
        var codes = new char[states.Count];
        for (int i = 0; i < codes.Length; i++)
        {
            codes[i] = CodeOf(states[i]);
            counts[(int)states[i]]++;
        }

        var byState = new Dictionary<DatabaseState, int>();
        for (int state = 0; state < counts.Length; state++)
        {
            if (counts[state] > 0)
            {
                byState[(DatabaseState)state] = counts[state];
            }
        }

        return new WaveStatus(wave, phase, byState, new string(codes)) { Attention = attention is { Count: > 0 } ? attention : null };
    }

    /// <summary>Gets the one-character code of a state.</summary>
    /// <param name="state">The state.</param>
    /// <returns>Its code in <see cref="States"/>.</returns>
    public static char CodeOf(DatabaseState state) =>
        (uint)state < Codes.Length ? Codes[(int)state] : throw new ArgumentOutOfRangeException(nameof(state), state, "not a database state");

    /// <summary>Gets the state a code in <see cref="States"/> stands for.</summary>
    /// <param name="code">The code.</param>
    /// <returns>The state.</returns>
    public static DatabaseState StateOf(char code)
    {
        int state = Codes.IndexOf(code, StringComparison.Ordinal);
        return state >= 0 ? (DatabaseState)state : throw new ArgumentOutOfRangeException(nameof(code), code, "not a database state code");
    }

    /// <summary>Gets the state of the database at <paramref name="index"/> in manifest order.</summary>
    /// <param name="index">The database's position in the manifest.</param>
    /// <returns>Its state.</returns>
    public DatabaseState StateAt(int index) => StateOf(States[index]);
}

/// <summary>A database of a running wave that waits for an operator: what it waits for, the command that moves it on, and until when.</summary>
/// <param name="Database">The database.</param>
/// <param name="State"><see cref="DatabaseState.AwaitingApproval"/> or <see cref="DatabaseState.NeedsAttention"/>.</param>
/// <param name="Next">The command to run: <c>dmig approve &lt;wave&gt; &lt;db&gt;</c>, or <c>dmig retry &lt;wave&gt; &lt;db&gt;</c> (the alternative being <c>dmig rollback &lt;wave&gt;</c>).</param>
/// <param name="TimeoutAt">When the operator timeout expires and the database is rolled back (UTC); <c>null</c> when the wait has no limit (manual approval).</param>
public sealed record WaveAttention(string Database, DatabaseState State, string Next, DateTime? TimeoutAt);

/// <summary>What a database orchestration tells its wave (event <see cref="MigrationNames.DatabaseStateEvent"/>) when it enters or leaves a state an operator watches for.</summary>
/// <param name="Database">The database.</param>
/// <param name="State">Its new state.</param>
/// <param name="Next">The command an operator runs to move it on, when it waits for one.</param>
/// <param name="TimeoutAt">When the wait ends without the operator (UTC), if it has a limit.</param>
public sealed record DatabaseStateChange(string Database, DatabaseState State, string? Next = null, DateTime? TimeoutAt = null);

/// <summary>The live status a database orchestration publishes as custom status.</summary>
/// <param name="Database">The database.</param>
/// <param name="State">Where it stands.</param>
/// <param name="Progress">The last copy progress, while data moves.</param>
/// <param name="Message">A line for operators (what it waits for, what failed).</param>
public sealed record DatabaseStatus(string Database, DatabaseState State, CopyProgress? Progress, string? Message)
{
    /// <summary>Gets the replication's last known state and lag, while an online migration syncs; <c>null</c> otherwise.</summary>
    public ReplicationStatus? Replication { get; init; }
}

/// <summary>Names of orchestrations, activities and events, shared by orchestrations, hosts and clients.</summary>
public static class MigrationNames
{
    /// <summary>A step's name as operators type it (<c>dmig run --drill db:postValidate</c>) and messages show it: <c>migrate</c>, <c>postValidate</c>.</summary>
    public static string StepName(MigrationStep step)
    {
        string name = step.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    /// <summary>The wave orchestration.</summary>
    public const string WaveOrchestration = nameof(WaveOrchestration);

    /// <summary>The per-database orchestration.</summary>
    public const string DatabaseMigrationOrchestration = nameof(DatabaseMigrationOrchestration);

    /// <summary>The rollback of a finished wave.</summary>
    public const string WaveRollbackOrchestration = nameof(WaveRollbackOrchestration);

    /// <summary>The receipt of a ticket's request: completes at once with what was done, so a second delivery is recognised.</summary>
    public const string TicketReceiptOrchestration = nameof(TicketReceiptOrchestration);

    /// <summary>Event: approve cutover (to a database instance).</summary>
    public const string ApproveCutoverEvent = "ApproveCutover";

    /// <summary>Event: re-run from the failed step (to a database instance in NeedsAttention).</summary>
    public const string RetryEvent = "Retry";

    /// <summary>Event: roll back (to a wave, or a database instance).</summary>
    public const string RollbackEvent = "Rollback";

    /// <summary>Event: a database's state changed (from a database instance to its wave; payload <see cref="DatabaseStateChange"/>).</summary>
    public const string DatabaseStateEvent = "DatabaseState";

    /// <summary>The command that approves a database's cutover.</summary>
    public static string ApproveCommand(string waveId, string database) => $"dmig approve {waveId} {database}";

    /// <summary>The command that re-runs a database that needs attention.</summary>
    public static string RetryCommand(string waveId, string database) => $"dmig retry {waveId} {database}";

    /// <summary>The command that rolls a wave back.</summary>
    public static string RollbackCommand(string waveId) => $"dmig rollback {waveId}";

    /// <summary>The command that re-runs a wave's failed compensations once their cause is fixed.</summary>
    public static string RetryRollbackCommand(string waveId) => $"dmig rollback {waveId} --retry";

    /// <summary>The instance id of a database's orchestration within a wave.</summary>
    public static string DatabaseInstanceId(string waveId, string database) => $"{waveId}:{database}";

    /// <summary>The instance id of a finished wave's rollback.</summary>
    public static string RollbackInstanceId(string waveId) => $"{waveId}:rollback";

    /// <summary>The receipt of a ticket's request, handled once: <c>&lt;wave&gt;:ticket:&lt;action&gt;:&lt;ticket&gt;[:&lt;database&gt;]</c>, purged with its wave.</summary>
    public static string TicketReceiptInstanceId(string waveId, string action, string ticketId, string? database) =>
        database is null ? $"{waveId}:ticket:{action}:{ticketId}" : $"{waveId}:ticket:{action}:{ticketId}:{database}";
}
