using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Engine.Storage;

/// <summary>Opening the task hub file, creating or upgrading its schema, and running statements on the connection's own thread.</summary>
internal sealed partial class TaskHubStore
{
    /// <summary>Reusable prepared commands per connection, by SQL text (see <c>Prepared</c>).</summary>
    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> PreparedCommands = new();

    /// <summary>Runs <paramref name="work"/> in one <c>BEGIN IMMEDIATE</c> transaction; commits unless it rolled back itself.</summary>
    private Task<T> WriteAsync<T>(Func<SqliteTransaction, T> work, CancellationToken cancellationToken) =>
        RunAsync(connection =>
        {
            using var tx = connection.BeginTransaction(deferred: false);
            T result = work(tx);
            if (tx.Connection is not null)
            {
                tx.Commit();
            }

            return result;
        }, cancellationToken);

    private Task<T> ReadAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken) => RunAsync(work, cancellationToken);

    /// <summary>Queues <paramref name="work"/> for the connection's own thread, which opens the connection first if need be.</summary>
    private Task<T> RunAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken) =>
        Enqueue(new StoreOperation<T>(() => work(Open()), cancellationToken), cancellationToken);

    private Task<T> Enqueue<T>(StoreOperation<T> operation, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_pending)
        {
            ObjectDisposedException.ThrowIf(_pending.IsAddingCompleted, this);
            if (_connectionThread is null)
            {
                _connectionThread = new Thread(RunConnection) { IsBackground = true, Name = "DurableMigration task hub" };
                _connectionThread.Start();
            }

            _pending.Add(operation);
        }

        return operation.Task;
    }

    /// <summary>
    /// The connection's thread: runs queued operations one after the other. A thread of its own, not the thread pool: a
    /// waiter woken through the pool queues behind the very work it holds up, and the connection sat idle a third of a
    /// busy wave between transactions. The work is synchronous SQLite calls either way.
    /// </summary>
    private void RunConnection()
    {
        foreach (var operation in _pending.GetConsumingEnumerable())
        {
            operation.Run();
        }
    }

    /// <summary>A read or a write waiting for the connection.</summary>
    private abstract class StoreOperation
    {
        private int _state; // 0 queued, 1 taken to run, 2 cancelled
        private CancellationTokenRegistration _registration;

        /// <summary>Cancels the operation while it waits in the queue; once it runs, it finishes and reports its result.</summary>
        protected void Register(CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(static (state, token) => ((StoreOperation)state!).TryCancel(token), this);
            }
        }

        private void Unregister() => _registration.Dispose();

        /// <summary>Runs the operation on the connection's thread, unless it was cancelled while queued.</summary>
        public void Run()
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            {
                return;
            }

            Unregister();
            Execute();
        }

        private void TryCancel(CancellationToken token)
        {
            if (Interlocked.CompareExchange(ref _state, 2, 0) == 0)
            {
                SetCanceled(token);
            }
        }

        protected abstract void Execute();

        protected abstract void SetCanceled(CancellationToken token);
    }

    private sealed class StoreOperation<T> : StoreOperation
    {
        private readonly Func<T> _work;
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public StoreOperation(Func<T> work, CancellationToken cancellationToken)
        {
            _work = work;
            Register(cancellationToken);
        }

        public Task<T> Task => _completion.Task;

        protected override void Execute()
        {
            try
            {
                _completion.SetResult(_work());
            }
            catch (Exception e)
            {
                _completion.SetException(e);
            }
        }

        protected override void SetCanceled(CancellationToken token) => _completion.SetCanceled(token);
    }

    /// <summary>Opens the file, sets the journal mode and brings the schema up to date. Call on the connection's thread.</summary>
    private SqliteConnection Open()
    {
        if (_connection is not null)
        {
            return _connection;
        }

        string? directory = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 60,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            string synchronous = _durability == TaskHubDurability.Full ? "FULL" : "NORMAL";
            ExecuteScript(connection, $"PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; PRAGMA busy_timeout = 60000; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 8000;");
            EnsureSchema(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        _connection = connection;
        return connection;
    }

    private static void EnsureSchema(SqliteConnection connection)
    {
        // BEGIN IMMEDIATE doubles as the application lock: two processes opening a new file do not both create the schema.
        using var tx = connection.BeginTransaction(deferred: false);
        Execute(tx, "CREATE TABLE IF NOT EXISTS Versions (SchemaVersion TEXT NOT NULL PRIMARY KEY, UpgradeTime TEXT NOT NULL)");
        var installed = new List<Version>();
        using (var select = Command(tx, "SELECT SchemaVersion FROM Versions"))
        using (var reader = select.ExecuteReader())
        {
            while (reader.Read())
            {
                installed.Add(Version.Parse(reader.GetString(0)));
            }
        }

        var current = Version.Parse(SchemaVersion);
        if (installed.Count > 0 && installed.Max()! > current)
        {
            throw new InvalidOperationException(
                $"The task hub was written by a newer DurableMigration (schema {installed.Max()}); this build understands schema {current} and older. Upgrade DurableMigration.");
        }

        foreach (var (version, script) in SchemaScripts())
        {
            if (installed.Contains(version))
            {
                continue;
            }

            using (var command = Command(tx, script))
            {
                command.ExecuteNonQuery();
            }

            Execute(tx, "INSERT INTO Versions (SchemaVersion, UpgradeTime) VALUES ($v, $t)",
                ("$v", version.ToString()), ("$t", DateTime.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture)));
        }

        tx.Commit();
    }

    /// <summary>Schema scripts embedded as <c>schema-x.y.z.sql</c>, oldest first.</summary>
    private static IEnumerable<(Version Version, string Script)> SchemaScripts()
    {
        var assembly = typeof(TaskHubStore).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.Contains(".schema-", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => (Version: Version.Parse(n[(n.IndexOf(".schema-", StringComparison.Ordinal) + 8)..^4]), Name: n))
            .OrderBy(s => s.Version)
            .Select(s => (s.Version, ReadResource(assembly, s.Name)))
            .ToList();
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static void ExecuteScript(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters) =>
        Command(tx.Connection!, tx, sql, parameters);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    /// <summary>
    /// The connection's reusable command for <paramref name="sql"/>, bound to <paramref name="tx"/> and given these
    /// parameters. SQLite parses and plans a statement once per connection instead of on every turn. For constant SQL
    /// only (each text is kept while the connection lives); never dispose the command, and dispose its reader before the
    /// same text is used again. The store's one connection is used by its own thread only, so the cache needs no lock.
    /// </summary>
    private static SqliteCommand Prepared(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var commands = PreparedCommands.GetOrCreateValue(connection);
        if (!commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            commands.Add(sql, command);
        }

        command.Transaction = tx;
        command.Parameters.Clear();
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static SqliteCommand Prepared(SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters) =>
        Prepared(tx.Connection!, tx, sql, parameters);

    private static int Execute(SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters) =>
        Prepared(tx, sql, parameters).ExecuteNonQuery();
}
