using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Follows a data copy from inside SQLite and reports progress about every batch of rows and at the end of every table.</summary>
/// <remarks>
/// <para>Each table is copied by a single statement (so SQLite can transfer records without decoding them), so progress
/// can only be seen from inside it. A progress handler runs every few thousand virtual-machine steps and estimates the
/// rows copied from the last rowid inserted: the copy appends in rowid order, so the rowid's place between the source
/// table's smallest and largest rowid times its row count is the rows done. (An update hook counted rows exactly, but
/// called into .NET once per row: about a tenth of the copy's time on a 1 GiB table.) WITHOUT ROWID tables, and tables
/// whose rowid no name reaches, report at their end only. The table's end always reports the exact count.</para>
/// <para>The handler runs on the copying thread, inside SQLite: it must not use the connection and must not let an
/// exception escape, so a failing progress consumer or a cancellation interrupts the statement instead, and the
/// caller surfaces <see cref="Failure"/> or the cancellation.</para>
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
    private readonly delegate_progress _handler;
    private long _copiedBefore;
    private long _inTable;
    private long _nextReport;
    private long _rowidAtStart;
    private (long Min, long Max)? _rowids;
    private long _bytes;
    private int _table = -1;
    private bool _counting;
    private string _tableName = string.Empty;

    /// <summary>Initializes the tracker and installs the progress handler on <paramref name="connection"/>.</summary>
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
        _handler = OnProgress; // held: SQLite keeps only a native pointer to it
        // A copied row takes a handful of steps: about one call per batch/25 rows, and never fewer than one per 2,000.
        int steps = (int)Math.Clamp(batchRows / 5, 100, 10_000);
        raw.sqlite3_progress_handler(connection.Handle, steps, _handler, null);

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
    /// <param name="rowids">The source table's smallest and largest rowid, when its progress can be told from the rowids inserted (not for virtual tables, whose modules write shadow rows).</param>
    public void BeginTable(int index, string name, (long Min, long Max)? rowids = null)
    {
        _table = index;
        _counting = rowids is { } range && range.Max >= range.Min;
        _rowids = rowids;
        _rowidAtStart = raw.sqlite3_last_insert_rowid(_connection.Handle);
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
        raw.sqlite3_progress_handler(_connection.Handle, 0, null, null);
    }

    /// <summary>SQLite's progress callback: estimates the rows done and reports each batch; never interrupts by itself.</summary>
    private int OnProgress(object userData)
    {
        if (_table < 0 || !_counting || _rowids is not { } range)
        {
            return 0;
        }

        long rowid = raw.sqlite3_last_insert_rowid(_connection.Handle);
        if (rowid == _rowidAtStart || rowid < range.Min)
        {
            return 0; // nothing of this table inserted yet
        }

        long expected = _rows[_table];
        double fraction = (rowid - (double)range.Min + 1) / (range.Max - (double)range.Min + 1);
        long done = Math.Clamp((long)(fraction * expected), _inTable, expected);
        _inTable = done;
        if (done < _nextReport || done >= expected)
        {
            return 0; // the table's end reports the exact figures
        }

        _nextReport = done + _batchRows;
        try
        {
            _bytes = Math.Max(_bytes, new FileInfo(_targetPath).Length - _baselineBytes);
            _progress.Report(new CopyProgress(_tableName, _copiedBefore + done, _rows.Sum(), _bytes));
        }
#pragma warning disable CA1031 // An exception must not cross SQLite's native frames: keep it and interrupt the statement instead.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Failure ??= ex;
            raw.sqlite3_interrupt(_connection.Handle);
        }

        return 0;
    }
}
