using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Counts rows as SQLite appends them during a data copy and reports progress every batch of rows and at the end of every table.</summary>
/// <remarks>
/// Each table is copied by a single statement (so SQLite can transfer records without decoding them); an update
/// hook is the only way to see rows arrive during it. The hook runs inside SQLite, on the copying thread: it must not
/// use the connection and must not let an exception escape, so a failing progress consumer or a cancellation
/// interrupts the statement instead, and the caller surfaces <see cref="Failure"/> or the cancellation.
/// </remarks>
internal sealed class CopyProgressTracker : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly string _targetPath;
    private readonly IProgress<CopyProgress> _progress;
    private readonly long _batchRows;
    private readonly long _baselineBytes;
    private readonly long[] _rows;
    private readonly CancellationTokenRegistration _cancellation;
    private long _copiedBefore;
    private long _inTable;
    private long _nextReport;
    private long _bytes;
    private int _table = -1;
    private bool _counting;
    private string _tableName = string.Empty;

    /// <summary>Initializes the tracker and installs the update hook on <paramref name="connection"/>.</summary>
    /// <param name="connection">The copying connection.</param>
    /// <param name="targetPath">The target file, whose growth estimates the bytes copied during a table.</param>
    /// <param name="progress">Where reports go.</param>
    /// <param name="batchRows">Rows between two reports.</param>
    /// <param name="baselineBytes">The target's size before the first row.</param>
    /// <param name="expectedRows">Rows each table is expected to hold (counted before the copy).</param>
    /// <param name="cancellationToken">Interrupts the running statement when cancelled.</param>
    public CopyProgressTracker(SqliteConnection connection, string targetPath, IProgress<CopyProgress> progress, long batchRows, long baselineBytes, long[] expectedRows, CancellationToken cancellationToken)
    {
        _connection = connection;
        _targetPath = targetPath;
        _progress = progress;
        _batchRows = batchRows;
        _baselineBytes = baselineBytes;
        _rows = (long[])expectedRows.Clone();
        raw.sqlite3_update_hook(connection.Handle, OnRowChanged, null);

        // sqlite3_interrupt is safe from any thread; it ends the running statement with SQLITE_INTERRUPT.
        var handle = connection.Handle;
        _cancellation = cancellationToken.Register(() => raw.sqlite3_interrupt(handle));
    }

    /// <summary>Gets the bytes copied so far, as last reported.</summary>
    public long Bytes => _bytes;

    /// <summary>Gets what the progress consumer threw, if it did.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Starts counting table <paramref name="index"/>.</summary>
    /// <param name="index">The table's position in the expected counts.</param>
    /// <param name="name">The table's name, for the reports.</param>
    /// <param name="countRows">Whether rows the hook sees are the table's rows (not for virtual tables, whose modules write shadow rows).</param>
    public void BeginTable(int index, string name, bool countRows = true)
    {
        _table = index;
        _counting = countRows;
        _tableName = name;
        _inTable = 0;
        _nextReport = _batchRows;
    }

    /// <summary>Ends the current table with its exact row count and the target's growth so far, and reports.</summary>
    public void EndTable(long rows, long bytes)
    {
        _rows[_table] = rows; // the count taken before the copy may be stale if the source changed meanwhile
        _copiedBefore += rows;
        _inTable = 0;
        _bytes = Math.Max(_bytes, bytes);
        _progress.Report(new CopyProgress(_tableName, _copiedBefore, _rows.Sum(), _bytes));
        _table = -1;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // Disposing the registration waits for a running interrupt callback, so the handle is still open for it.
        _cancellation.Dispose();
        raw.sqlite3_update_hook(_connection.Handle, (delegate_update?)null, null);
    }

    private void OnRowChanged(object userData, int operation, utf8z database, utf8z table, long rowid)
    {
        if (_table < 0 || !_counting || ++_inTable < _nextReport)
        {
            return;
        }

        _nextReport += _batchRows;
        try
        {
            long expected = _rows[_table];
            if (_inTable >= expected)
            {
                return; // the table's end reports the exact figures
            }

            _bytes = Math.Max(_bytes, new FileInfo(_targetPath).Length - _baselineBytes);
            _progress.Report(new CopyProgress(_tableName, _copiedBefore + _inTable, _rows.Sum(), _bytes));
        }
#pragma warning disable CA1031 // An exception must not cross SQLite's native frames: keep it and interrupt the statement instead.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Failure ??= ex;
            raw.sqlite3_interrupt(_connection.Handle);
        }
    }
}
