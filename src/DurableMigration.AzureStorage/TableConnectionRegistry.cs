using System.Globalization;
using Azure;
using Azure.Data.Tables;
using DurableMigration.Providers;

namespace DurableMigration.AzureStorage;

/// <summary>The connection registry in a table of a storage account, for hosts whose activities run on several instances.</summary>
/// <remarks>
/// <para>
/// One partition per database (its escaped name): the row <c>current</c> holds the entry consumers use now, and one row
/// per switch (<c>switch-&lt;UTC ticks&gt;-&lt;id&gt;</c>, so rows sort oldest first) keeps the history. A switch writes both
/// rows in one entity-group transaction, conditional on the <c>current</c> row it read (its ETag): two switches racing
/// cannot both record the same "before"; the loser reads again and retries. History rows sort by the writing
/// instance's clock, so clocks apart by more than the time between two switches could list them out of order; each
/// row's <c>From</c> still names the entry it replaced.
/// </para>
/// <para>
/// As <c>LocalConnectionRegistry</c> does, it stores connection references as the manifest spells them, never
/// resolved connection strings, and refuses a connection that carries a password.
/// </para>
/// </remarks>
public sealed class TableConnectionRegistry : IConnectionRegistry
{
    /// <summary>The table's name unless configured otherwise.</summary>
    public const string DefaultTableName = "connectionregistry";

    private const string CurrentRow = "current";
    private const string SwitchRowPrefix = "switch-";
    private const int MaxAttempts = 10;

    private readonly TableClient _table;
    private readonly TableOnFirstUse _tableCreation;
    private readonly TimeProvider _timeProvider;

    /// <summary>Initializes the registry over table <paramref name="tableName"/> of <paramref name="service"/>, created on first use.</summary>
    /// <param name="service">The storage account's table service.</param>
    /// <param name="tableName">The table's name.</param>
    /// <param name="timeProvider">The clock for switch times; <see cref="TimeProvider.System"/> when <c>null</c>.</param>
    public TableConnectionRegistry(TableServiceClient service, string tableName = DefaultTableName, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _tableCreation = new TableOnFirstUse(_table);
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    public async Task<ConnectionEntry?> GetAsync(string database, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        await _tableCreation.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var current = await ReadCurrentAsync(database, cancellationToken).ConfigureAwait(false);
        return current is null ? null : ToEntry(database, current);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="connection"/> carries a password: store its reference instead.</exception>
    public async Task<ConnectionEntry?> SwitchAsync(string database, string connection, string engine, string reason, CancellationToken cancellationToken = default)
    {
        ConnectionSwitchArguments.Check(database, connection, engine, reason);

        await _tableCreation.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        string partition = Uri.EscapeDataString(database);
        for (int attempt = 1; ; attempt++)
        {
            var previous = await ReadCurrentAsync(database, cancellationToken).ConfigureAwait(false);
            var now = _timeProvider.GetUtcNow().UtcDateTime;
            var current = new TableEntity(partition, CurrentRow)
            {
                ["Database"] = database,
                ["Engine"] = engine,
                ["Connection"] = connection,
                ["UpdatedAt"] = now,
            };
            var change = new TableEntity(partition, string.Create(CultureInfo.InvariantCulture, $"{SwitchRowPrefix}{now.Ticks:D19}-{Guid.NewGuid():N}"))
            {
                ["Database"] = database,
                ["From"] = previous?.GetString("Connection"),
                ["To"] = connection,
                ["Reason"] = reason,
                ["At"] = now,
            };
            TableTransactionAction write = previous is null
                ? new(TableTransactionActionType.Add, current)
                : new(TableTransactionActionType.UpdateReplace, current, previous.ETag);
            try
            {
                await _table.SubmitTransactionAsync([write, new TableTransactionAction(TableTransactionActionType.Add, change)], cancellationToken).ConfigureAwait(false);
                return previous is null ? null : ToEntry(database, previous);
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // Another switch of this database came first: decide again against its entry.
            }
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ConnectionSwitch>> GetHistoryAsync(string database, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        await _tableCreation.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        string partition = Uri.EscapeDataString(database);
        var history = new List<ConnectionSwitch>();
        // Row keys sort the switches by time; "switch." is the first key after every "switch-…".
        string filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {SwitchRowPrefix} and RowKey lt {"switch."}");
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            history.Add(new ConnectionSwitch(database, row.GetString("From"), row.GetString("To") ?? string.Empty, row.GetString("Reason") ?? string.Empty, Utc(row.GetDateTime("At"))));
        }

        return history;
    }

    private static ConnectionEntry ToEntry(string database, TableEntity row) =>
        new(database, row.GetString("Engine") ?? string.Empty, row.GetString("Connection") ?? string.Empty, Utc(row.GetDateTime("UpdatedAt")));

    private static DateTime Utc(DateTime? time) => DateTime.SpecifyKind(time ?? default, DateTimeKind.Utc);

    private async Task<TableEntity?> ReadCurrentAsync(string database, CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(Uri.EscapeDataString(database), CurrentRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? row.Value : null;
    }
}
