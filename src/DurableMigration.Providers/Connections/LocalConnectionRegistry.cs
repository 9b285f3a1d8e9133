using System.Globalization;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Connections;

/// <summary>The connection registry in a local SQLite file (<c>&lt;data dir&gt;/registry.db</c>): current entries and the history of every switch.</summary>
/// <remarks>
/// <para>
/// It stores connection references exactly as the manifest spells them (<c>env:NAME</c>, <c>file:PATH</c>, or a
/// literal without credentials), never resolved connection strings: consumers resolve the reference themselves,
/// and the registry file holds no secret. <see cref="SwitchAsync"/> refuses a connection that carries a password.
/// </para>
/// <para>
/// Tables: <c>connections</c> (one row per database: engine, connection, updated_at) and
/// <c>connection_switches</c> (append-only: database, from, to, reason, at). Times are UTC, ISO 8601. The file is in
/// WAL mode, so several processes (the host, the command line) can use it at once; a switch is one transaction.
/// </para>
/// </remarks>
public sealed class LocalConnectionRegistry : IConnectionRegistry
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS connections (
            database TEXT NOT NULL PRIMARY KEY,
            engine TEXT NOT NULL,
            connection TEXT NOT NULL,
            updated_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS connection_switches (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            database TEXT NOT NULL,
            from_connection TEXT,
            to_connection TEXT NOT NULL,
            reason TEXT NOT NULL,
            at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_connection_switches_database ON connection_switches (database, id);
        """;

    private readonly string _connectionString;
    private readonly TimeProvider _timeProvider;
    private volatile bool _schemaReady;

    /// <summary>Initializes the registry over the SQLite file <paramref name="path"/>, created (with its folder) on first use.</summary>
    /// <param name="path">The registry file.</param>
    /// <param name="timeProvider">The clock for switch times; <see cref="TimeProvider.System"/> when <c>null</c>.</param>
    public LocalConnectionRegistry(string path, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _timeProvider = timeProvider ?? TimeProvider.System;

        // No pooling: a pooled handle would keep the file open after every call, and tests delete their folders.
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
    }

    /// <summary>Gets the registry file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public async Task<ConnectionEntry?> GetAsync(string database, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ReadEntryAsync(connection, database, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="connection"/> carries a password: store its reference instead.</exception>
    public async Task<ConnectionEntry?> SwitchAsync(string database, string connection, string engine, string reason, CancellationToken cancellationToken = default)
    {
        ConnectionSwitchArguments.Check(database, connection, engine, reason);

        await using var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        string now = Timestamp(_timeProvider.GetUtcNow().UtcDateTime);

        // BEGIN IMMEDIATE: read the current entry and replace it under the write lock, so two switches cannot both see the same "before".
        await ExecuteAsync(db, "BEGIN IMMEDIATE", cancellationToken).ConfigureAwait(false);
        try
        {
            var previous = await ReadEntryAsync(db, database, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(
                db,
                """
                INSERT INTO connections (database, engine, connection, updated_at) VALUES ($database, $engine, $connection, $at)
                ON CONFLICT (database) DO UPDATE SET engine = excluded.engine, connection = excluded.connection, updated_at = excluded.updated_at
                """,
                cancellationToken,
                ("$database", database),
                ("$engine", engine),
                ("$connection", connection),
                ("$at", now)).ConfigureAwait(false);
            await ExecuteAsync(
                db,
                "INSERT INTO connection_switches (database, from_connection, to_connection, reason, at) VALUES ($database, $from, $to, $reason, $at)",
                cancellationToken,
                ("$database", database),
                ("$from", previous?.Connection),
                ("$to", connection),
                ("$reason", reason),
                ("$at", now)).ConfigureAwait(false);
            await ExecuteAsync(db, "COMMIT", cancellationToken).ConfigureAwait(false);
            return previous;
        }
        catch
        {
            // SQLite may have ended the transaction itself (some I/O errors); only an open one needs the rollback.
            if (SQLitePCL.raw.sqlite3_get_autocommit(db.Handle) == 0)
            {
                await ExecuteAsync(db, "ROLLBACK", CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ConnectionSwitch>> GetHistoryAsync(string database, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, "SELECT database, from_connection, to_connection, reason, at FROM connection_switches WHERE database = $database ORDER BY id", ("$database", database));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var history = new List<ConnectionSwitch>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            history.Add(new ConnectionSwitch(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                ParseTimestamp(reader.GetString(4))));
        }

        return history;
    }

    private static async Task<ConnectionEntry?> ReadEntryAsync(SqliteConnection connection, string database, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, "SELECT database, engine, connection, updated_at FROM connections WHERE database = $database", ("$database", database));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new ConnectionEntry(reader.GetString(0), reader.GetString(1), reader.GetString(2), ParseTimestamp(reader.GetString(3)))
            : null;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        // The schema statements are idempotent, so two first calls racing here do no harm.
        if (!_schemaReady)
        {
            if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } folder)
            {
                Directory.CreateDirectory(folder);
            }

            await using var setup = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(setup, "PRAGMA journal_mode = WAL", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(setup, Schema, cancellationToken).ConfigureAwait(false);
            _schemaReady = true;
        }

        return await ConnectAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, "PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static string Timestamp(DateTime utc) => utc.ToString("O", CultureInfo.InvariantCulture);

    private static DateTime ParseTimestamp(string text) => DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
