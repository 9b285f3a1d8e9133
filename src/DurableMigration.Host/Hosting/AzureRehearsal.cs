using DurableMigration.AzureEmulators;
using DurableMigration.Providers.Dms;
using DurableMigration.Providers.Monitoring;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Host.Hosting;

/// <summary>
/// A rehearsal of the Azure path without Azure (<c>DMIG_REHEARSE_AZURE=1</c>): engine <c>sqlserver</c> drives a Database Migration
/// Service emulator instead of Resource Manager, and the migration records go to a Logs Ingestion emulator instead of Azure Monitor.
/// Both are loopback HTTPS servers in this process (<c>DurableMigration.AzureEmulators</c>), started with the engine or worker.
/// </summary>
/// <remarks>
/// What is rehearsed: every Resource Manager call of a wave (create, status reads with progress, cutover, cancel, target database
/// reads and deletes), its long-running operations and errors, and the records' upload (gzip, batching, limits). What is not: the
/// SQL Server side still connects to the servers the manifest names (assessment, read-only source, final comparison, validation), and
/// the emulated migration copies no rows (it reports the progress of a pretend copy). The emulators' state lives in this process: a
/// rehearsal is one <c>dmig run</c> (or one <c>serve</c>/<c>worker</c> session).
/// </remarks>
internal sealed class AzureRehearsal : IAsyncDisposable
{
    /// <summary>The switch: <c>1</c> or <c>true</c> turns the rehearsal on.</summary>
    public const string Variable = "DMIG_REHEARSE_AZURE";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ILogger? _logger;
    private DmsEmulator? _dms;
    private LogsIngestionEmulator? _logs;

    /// <summary>Initializes a rehearsal; <see cref="StartAsync"/> starts its emulators.</summary>
    /// <param name="logger">Where the rehearsal says what it started.</param>
    public AzureRehearsal(ILogger<AzureRehearsal>? logger = null) => _logger = logger;

    /// <summary>Gets how often the rehearsal's migrations are read: often, since the emulator answers at once.</summary>
    public static DatabaseMigrationRunnerOptions RunnerOptions { get; } = new() { PollInterval = TimeSpan.FromMilliseconds(500) };

    /// <summary>Gets the Database Migration Service emulator.</summary>
    public DmsEmulator Dms => _dms ?? throw NotStarted();

    /// <summary>Gets the Logs Ingestion emulator.</summary>
    public LogsIngestionEmulator Logs => _logs ?? throw NotStarted();

    /// <summary>Tells whether the switch is on, through <paramref name="variable"/> (the process's environment in <c>dmig</c>).</summary>
    /// <param name="variable">Gives an environment variable's value, or <see langword="null"/>.</param>
    /// <returns>Whether to rehearse.</returns>
    /// <exception cref="ArgumentException">The variable holds something other than <c>1</c>, <c>true</c>, <c>0</c> or <c>false</c>.</exception>
    public static bool IsOn(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return variable(Variable)?.Trim().ToLowerInvariant() switch
        {
            null or "" or "0" or "false" => false,
            "1" or "true" => true,
            var other => throw new ArgumentException($"{Variable} must be 1 (rehearse the Azure path against local emulators) or 0; it is '{other}'."),
        };
    }

    /// <summary>Starts both emulators (once).</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when both listen.</returns>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_dms is not null)
            {
                return;
            }

            var dms = await DmsEmulator.StartAsync(cancellationToken).ConfigureAwait(false);
            dms.AssumeServerDatabasesExist = true;
            _logs = await LogsIngestionEmulator.StartAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            _dms = dms;
            if (_logger is not null)
            {
                HostingLogs.RehearsalStarted(_logger, dms.Endpoint, _logs.Endpoint);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A Resource Manager client that reaches the DMS emulator (trusting exactly its certificate, with its dummy token).</summary>
    /// <returns>The client.</returns>
    public DatabaseMigrationServiceClient CreateDmsClient()
    {
        var options = new DatabaseMigrationServiceClientOptions
        {
            Endpoint = Dms.Endpoint,
            Transport = Dms.CreateTransport(),
            PollingInterval = TimeSpan.FromMilliseconds(200),
        };
        return new DatabaseMigrationServiceClient(DmsEmulator.Credential, options);
    }

    /// <summary>A Logs Ingestion client that uploads to the emulator's rule and stream.</summary>
    /// <returns>The client.</returns>
    public LogsIngestionClient CreateLogsIngestionClient()
    {
        var options = new LogsIngestionClientOptions
        {
            Endpoint = Logs.Endpoint,
            RuleId = Logs.RuleId,
            StreamName = Logs.StreamName,
            Transport = Logs.CreateTransport(),
        };
        return new LogsIngestionClient(LogsIngestionEmulator.Credential, options);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_logs is not null)
        {
            if (_logger is not null)
            {
                HostingLogs.RehearsalRecords(_logger, _logs.Records.Count, _logs.Requests.Count);
            }

            await _logs.DisposeAsync().ConfigureAwait(false);
        }

        if (_dms is not null)
        {
            await _dms.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    private static InvalidOperationException NotStarted() => new("The Azure rehearsal's emulators start with the engine or worker; start it first.");
}
