using DurableMigration.Manifest;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Application;

/// <summary>How starting a wave went.</summary>
public enum StartOutcome
{
    /// <summary>The wave was scheduled.</summary>
    Started,

    /// <summary>A wave with this id is in flight with the same manifest; nothing was scheduled.</summary>
    AlreadyRunning,

    /// <summary>A wave with this id already finished; nothing was scheduled (purge it, or give the manifest a new wave id).</summary>
    AlreadyFinished,

    /// <summary>A wave with this id started with a different manifest: the differences are the refusal's errors.</summary>
    ManifestChanged,

    /// <summary>The manifest has errors: they are the refusal's errors.</summary>
    InvalidManifest,
}

/// <summary>The result of starting a wave.</summary>
/// <param name="Outcome">How it went.</param>
/// <param name="WaveId">The wave id (the instance id), when the manifest named one.</param>
/// <param name="Manifest">The checked manifest, unless it had errors.</param>
/// <param name="Existing">The instance that already had the id, unless the wave was started.</param>
/// <param name="Refusal">Why it was refused (also for <see cref="StartOutcome.AlreadyRunning"/>, which the command line resumes).</param>
public sealed record StartResult(StartOutcome Outcome, string? WaveId, WaveManifest? Manifest, OrchestrationMetadata? Existing, Refusal? Refusal);

/// <summary>How a request to one or more databases of a wave (approve, retry) went.</summary>
public enum DatabaseRequestOutcome
{
    /// <summary>The event was raised.</summary>
    Done,

    /// <summary>No such wave.</summary>
    NoSuchWave,

    /// <summary>The wave has no such database.</summary>
    NoSuchDatabase,

    /// <summary>The wave already finished.</summary>
    WaveFinished,

    /// <summary>No database is in the state the request needs (awaiting approval, needing attention).</summary>
    NotWaiting,
}

/// <summary>The result of approving or retrying databases.</summary>
/// <param name="Outcome">How it went.</param>
/// <param name="WaveId">The wave.</param>
/// <param name="Databases">The databases the event went to.</param>
/// <param name="Refusal">Why it was refused.</param>
public sealed record DatabaseRequestResult(DatabaseRequestOutcome Outcome, string WaveId, IReadOnlyList<string> Databases, Refusal? Refusal);

/// <summary>How a rollback request went.</summary>
public enum RollbackOutcome
{
    /// <summary>The running wave was asked to roll back: follow the wave itself.</summary>
    RequestedOfRunningWave,

    /// <summary>A rollback of the finished wave (<c>&lt;wave&gt;:rollback</c>) was started.</summary>
    Started,

    /// <summary>The failed compensations run again in a new <c>&lt;wave&gt;:rollback</c>.</summary>
    RetryStarted,

    /// <summary>A rollback of the finished wave exists already (running, or done): nothing new was started.</summary>
    AlreadyExists,

    /// <summary>No such wave.</summary>
    NoSuchWave,

    /// <summary>Refused: nothing to roll back, nothing to retry, or a retry of a wave still running.</summary>
    Refused,
}

/// <summary>The result of a rollback request.</summary>
/// <param name="Outcome">How it went.</param>
/// <param name="WaveId">The wave.</param>
/// <param name="InstanceId">The instance to follow: the wave, or <c>&lt;wave&gt;:rollback</c>.</param>
/// <param name="Instance">The rollback that exists already, for <see cref="RollbackOutcome.AlreadyExists"/>.</param>
/// <param name="Databases">For a retry: the databases it acts on.</param>
/// <param name="Refusal">Why it was refused.</param>
public sealed record RollbackResult(RollbackOutcome Outcome, string WaveId, string InstanceId, OrchestrationMetadata? Instance, IReadOnlyList<string> Databases, Refusal? Refusal);

/// <summary>How a terminate, suspend or resume request went.</summary>
public enum ControlOutcome
{
    /// <summary>The request was recorded for every instance in the result; the host running the wave applies it.</summary>
    Requested,

    /// <summary>No such wave.</summary>
    NoSuchWave,

    /// <summary>The wave finished: there is nothing to terminate, suspend or resume.</summary>
    Finished,

    /// <summary>Suspend of a wave already suspended, or resume of one with nothing suspended.</summary>
    NotApplicable,
}

/// <summary>The result of a terminate, suspend or resume request.</summary>
/// <param name="Outcome">How it went.</param>
/// <param name="WaveId">The wave.</param>
/// <param name="Instances">The instances the request went to: the wave and, for suspend and resume, its database orchestrations.</param>
/// <param name="Refusal">Why it was refused.</param>
public sealed record ControlResult(ControlOutcome Outcome, string WaveId, IReadOnlyList<string> Instances, Refusal? Refusal);

/// <summary>How a purge went.</summary>
public enum PurgeOutcome
{
    /// <summary>The wave and everything named <c>&lt;wave&gt;:…</c> were deleted.</summary>
    Purged,

    /// <summary>No such wave.</summary>
    NoSuchWave,

    /// <summary>The wave or its rollback still runs.</summary>
    StillRunning,
}

/// <summary>The result of a purge.</summary>
/// <param name="Outcome">How it went.</param>
/// <param name="WaveId">The wave.</param>
/// <param name="PurgedInstanceCount">How many instances were deleted.</param>
/// <param name="Refusal">Why it was refused.</param>
public sealed record PurgeResult(PurgeOutcome Outcome, string WaveId, int PurgedInstanceCount, Refusal? Refusal);

/// <summary>One wave as read: its view (with its rollback) and, when asked for, its history.</summary>
/// <param name="View">The wave, its status, result, databases and rollback.</param>
/// <param name="History">The wave's history rows, when asked for.</param>
public sealed record WaveReport(WaveView View, IReadOnlyList<HistoryRow>? History);

/// <summary>Which waves to list, like Durable Functions' instance query.</summary>
/// <param name="Statuses">Only these runtime statuses; all when empty.</param>
/// <param name="CreatedFrom">Only waves created at or after this time.</param>
/// <param name="CreatedTo">Only waves created at or before this time.</param>
/// <param name="PageSize">At most this many waves per page.</param>
/// <param name="ContinuationToken">Where the previous page stopped.</param>
public sealed record WaveListQuery(
    IReadOnlyList<OrchestrationRuntimeStatus>? Statuses = null,
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedTo = null,
    int PageSize = 100,
    string? ContinuationToken = null);

/// <summary>One page of waves, oldest first, and the token of the next page (<c>null</c> on the last).</summary>
/// <param name="Waves">The waves, with inputs, outputs and custom status.</param>
/// <param name="ContinuationToken">Where the next page starts; <c>null</c> when there is none.</param>
public sealed record WavePage(IReadOnlyList<OrchestrationMetadata> Waves, string? ContinuationToken);
