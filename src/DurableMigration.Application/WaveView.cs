using DurableMigration.Migration;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Application;

/// <summary>A wave as operators see it: the wave instance, its live status or result, and each started database's live status.</summary>
/// <param name="Wave">The wave instance.</param>
/// <param name="Status">The wave's custom status.</param>
/// <param name="Result">The wave's output, once finished.</param>
/// <param name="Databases">Live status of each database that has started.</param>
/// <param name="Manifest">The database names of the wave's manifest, in order: the names of <see cref="WaveStatus.States"/>.</param>
public sealed record WaveView(
    OrchestrationMetadata Wave,
    WaveStatus? Status,
    WaveResult? Result,
    IReadOnlyDictionary<string, DatabaseStatus> Databases,
    IReadOnlyList<string> Manifest)
{
    private Dictionary<string, int>? _positions;

    /// <summary>Gets the ticket that started the wave, when a ticketing system did.</summary>
    public TicketReference? Ticket { get; init; }

    /// <summary>Gets the ticket that started <paramref name="wave"/>, read from its input (fetched with inputs), or <c>null</c>.</summary>
    public static TicketReference? TicketOf(OrchestrationMetadata wave) =>
        wave?.Name == MigrationNames.WaveOrchestration ? wave.ReadInputAs<InputNames>()?.Ticket : null;

    /// <summary>Gets the rollback of this finished wave (<c>&lt;wave&gt;:rollback</c>), if one was started: after it, each database's state is the rollback's.</summary>
    public WaveView? Rollback { get; init; }

    /// <summary>Loads the view of <paramref name="waveId"/> (a wave, or a finished wave's rollback), or <c>null</c> when there is none.</summary>
    public static Task<WaveView?> LoadAsync(DurableTaskClient client, string waveId, CancellationToken cancellationToken) =>
        LoadAsync(client, waveId, liveDatabases: true, cancellationToken);

    /// <summary>
    /// Loads the view of <paramref name="waveId"/>; with <paramref name="liveDatabases"/> off, without reading each running
    /// database's own status (<see cref="Databases"/> stays empty): two reads, however many databases the wave has.
    /// </summary>
    public static async Task<WaveView?> LoadAsync(DurableTaskClient client, string waveId, bool liveDatabases, CancellationToken cancellationToken)
    {
        var wave = await client.GetInstanceAsync(waveId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        if (wave is null)
        {
            return null;
        }

        var status = wave.ReadCustomStatusAs<WaveStatus>();
        var result = wave.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? wave.ReadOutputAs<WaveResult>() : null;
        // Both WaveInput and WaveRollbackInput carry the manifest; only its database names are read.
        var input = wave.ReadInputAs<InputNames>();
        IReadOnlyList<string> names = input?.Manifest?.Databases?.Select(d => d.Name).ToList() ?? [];
        var databases = new Dictionary<string, DatabaseStatus>(StringComparer.OrdinalIgnoreCase);
        // A rollback instance has no database instances of its own.
        bool isWave = wave.Name == MigrationNames.WaveOrchestration;
        if (liveDatabases && isWave && status is not null)
        {
            // Databases that have not started (or never will) have no status worth reading.
            var started = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < Math.Min(names.Count, status.States.Length); i++)
            {
                if (status.StateAt(i) is not (DatabaseState.Pending or DatabaseState.AwaitingDependencies or DatabaseState.Validating or DatabaseState.Skipped))
                {
                    started.Add(names[i]);
                }
            }

            // One instance query by the prefix <wave>: (in pages of up to 1,000), not one read per database.
            var query = new OrchestrationQuery { InstanceIdPrefix = waveId + ":", FetchInputsAndOutputs = true, PageSize = 1000 };
            await foreach (var child in (started.Count == 0 ? AsyncEnumerable.Empty<OrchestrationMetadata>() : client.GetAllInstancesAsync(query)).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                string name = child.InstanceId[(waveId.Length + 1)..];
                if (child.Name == MigrationNames.DatabaseMigrationOrchestration && started.Contains(name) && child.ReadCustomStatusAs<DatabaseStatus>() is { } live)
                {
                    databases[name] = live;
                }
            }
        }

        WaveView? rollback = isWave && wave.IsCompleted
            ? await LoadAsync(client, MigrationNames.RollbackInstanceId(waveId), liveDatabases, cancellationToken).ConfigureAwait(false)
            : null;
        return new WaveView(wave, status, result, databases, names) { Rollback = rollback, Ticket = isWave ? input?.Ticket : null };
    }

    /// <summary>Gets the state of a database: the rollback's once the finished wave was rolled back, else the live one while its orchestration runs, else the wave's record.</summary>
    public DatabaseState StateOf(string database)
    {
        if (Rollback is { } rollback && (rollback.Result is not null || rollback.Status is not null))
        {
            return rollback.StateOf(database);
        }

        if (Result?.Databases.FirstOrDefault(d => string.Equals(d.Database, database, StringComparison.OrdinalIgnoreCase)) is { } final)
        {
            return final.State;
        }

        var recorded = RecordedState(database) ?? DatabaseState.Pending;
        // The database's own status is fresher while it runs; the wave records only the states operators watch for.
        return IsRunning(recorded) && Databases.TryGetValue(database, out var live) ? live.State : recorded;
    }

    /// <summary>Gets the database names in the wave's order; none before the wave published its first status.</summary>
    public IEnumerable<string> DatabaseNames =>
        Result?.Databases.Select(d => d.Database) ?? (Status is null ? Enumerable.Empty<string>() : Manifest.Take(Status.States.Length));

    /// <summary>Gets what a database waits for, as the wave's status lists it, if it waits for an operator.</summary>
    public WaveAttention? AttentionOf(string database) =>
        Result is null ? Status?.Attention?.FirstOrDefault(a => string.Equals(a.Database, database, StringComparison.OrdinalIgnoreCase)) : null;

    private static bool IsRunning(DatabaseState state) => state is DatabaseState.Migrating or DatabaseState.Syncing or DatabaseState.AwaitingApproval
        or DatabaseState.CuttingOver or DatabaseState.ValidatingTarget or DatabaseState.NeedsAttention or DatabaseState.RollingBack;

    /// <summary>The state the wave's status records for a database, if it records one.</summary>
    private DatabaseState? RecordedState(string database)
    {
        if (Status is null)
        {
            return null;
        }

        _positions ??= Manifest.Select((name, i) => (name, i)).DistinctBy(p => p.name, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(p => p.name, p => p.i, StringComparer.OrdinalIgnoreCase);
        return _positions.TryGetValue(database, out int index) && index < Status.States.Length ? Status.StateAt(index) : null;
    }

    /// <summary>The part of a wave's (or a rollback's) input this view reads: the manifest's database names.</summary>
    private sealed record InputNames(ManifestNames? Manifest, TicketReference? Ticket);

    /// <summary>A manifest's databases, names only.</summary>
    private sealed record ManifestNames(IReadOnlyList<DatabaseName>? Databases);

    /// <summary>A database's name.</summary>
    private sealed record DatabaseName(string Name);
}
