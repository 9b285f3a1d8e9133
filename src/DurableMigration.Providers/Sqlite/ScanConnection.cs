using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DurableMigration.Providers.Sqlite;

/// <summary>A read-only connection for validation: row counts and <see cref="TableChecksum"/>s of whole tables, read as fast as SQLite yields rows.</summary>
/// <remarks>
/// <para>
/// Opened on SQLitePCLRaw directly rather than through <see cref="SqliteConnection"/>, for one flag:
/// <c>SQLITE_OPEN_NOMUTEX</c>. Every value accessor of a serialized connection (Microsoft.Data.Sqlite's) locks and
/// unlocks the connection's mutex; a scan calls them several times per value, and the locking cost a quarter of the
/// scan. A connection in SQLite's multi-thread mode has no mutex: it must not be used by two threads at once, and a
/// <see cref="ScanConnection"/> is used by one thread from open to dispose (<see cref="Interrupt"/>, the exception, is
/// safe from any thread). In that mode the values <c>sqlite3_column_value</c> returns may be read with the
/// <c>sqlite3_value_*</c> accessors (SQLite's "protected" and "unprotected" values are the same thing without a mutex),
/// which saves the per-call statement checks of <c>sqlite3_column_*</c>.
/// </para>
/// <para>
/// Otherwise it is opened like <see cref="SqliteFile.Open"/>: by path, read-only, waiting for locks through SQLite's
/// busy handler for at most the lock timeout. Errors are <see cref="SqliteException"/>s, as from Microsoft.Data.Sqlite.
/// </para>
/// </remarks>
internal sealed class ScanConnection : IDisposable
{
    private readonly sqlite3 _db;
    private readonly bool _utf8;

    private ScanConnection(sqlite3 db)
    {
        _db = db;
        // Text is hashed as UTF-8. A UTF-8 database stores it so: its bytes are read as they are, without the copy
        // sqlite3_value_text makes to add a terminator. A UTF-16 database's text is converted by sqlite3_value_text.
        _utf8 = string.Equals(Text("PRAGMA main.encoding"), "UTF-8", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Opens <paramref name="file"/> read-only.</summary>
    public static ScanConnection Open(SqliteFile file)
    {
        // Microsoft.Data.Sqlite initializes SQLitePCLRaw (chooses its provider) in SqliteConnection's static constructor.
        RuntimeHelpers.RunClassConstructor(typeof(SqliteConnection).TypeHandle);
        int rc = raw.sqlite3_open_v2(file.Path, out sqlite3 db, raw.SQLITE_OPEN_READONLY | raw.SQLITE_OPEN_NOMUTEX, null);
        try
        {
            SqliteException.ThrowExceptionForRC(rc, db);
            raw.sqlite3_busy_timeout(db, (int)Math.Clamp(file.LockTimeout.TotalMilliseconds, 0, int.MaxValue));
            return new ScanConnection(db);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Makes the statement running on this connection stop with SQLITE_INTERRUPT; callable from any thread.</summary>
    public void Interrupt() => raw.sqlite3_interrupt(_db);

    /// <summary>Runs <paramref name="work"/> inside one read transaction: everything it reads is one snapshot.</summary>
    public void InReadTransaction(Action work)
    {
        Execute("BEGIN");
        try
        {
            work();
            Execute("COMMIT");
        }
        catch
        {
            if (raw.sqlite3_get_autocommit(_db) == 0)
            {
                Execute("ROLLBACK");
            }

            throw;
        }
    }

    /// <summary>Opens a read transaction and takes its snapshot now (reads the schema); <see cref="EndRead"/> ends it.</summary>
    public void BeginRead()
    {
        Execute("BEGIN");
        try
        {
            Int64("SELECT count(*) FROM main.sqlite_schema");
        }
        catch
        {
            EndRead();
            throw;
        }
    }

    /// <summary>Ends the read transaction <see cref="BeginRead"/> opened, if it is still open.</summary>
    public void EndRead()
    {
        if (raw.sqlite3_get_autocommit(_db) == 0)
        {
            Execute("ROLLBACK");
        }
    }

    /// <summary>Runs a query and returns its first value as a 64-bit integer (0 when there is none).</summary>
    public long Int64(string sql)
    {
        using var statement = Prepare(sql);
        int rc = raw.sqlite3_step(statement);
        if (rc == raw.SQLITE_ROW)
        {
            return raw.sqlite3_column_int64(statement, 0);
        }

        Check(rc, raw.SQLITE_DONE);
        return 0;
    }

    /// <summary>Checksums every row <paramref name="sql"/> yields.</summary>
    public TableChecksum Checksum(string sql) => Checksum(sql, direct: SqliteNative.Available);

    /// <summary>Checksums every row <paramref name="sql"/> yields, through <see cref="SqliteNative"/> or through SQLitePCLRaw (tests compare both).</summary>
    public TableChecksum Checksum(string sql, bool direct)
    {
        var checksum = new TableChecksum();
        using var statement = Prepare(sql);
        int count = raw.sqlite3_column_count(statement);
        int rc = direct ? ChecksumDirect(statement, count, checksum) : ChecksumThroughSqlitePcl(statement, count, checksum);
        Check(rc, raw.SQLITE_DONE);
        return checksum;
    }

    /// <inheritdoc/>
    public void Dispose() => _db.Dispose();

    // Fully optimized from the first call: it runs once or twice per table, each run a long loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ChecksumDirect(sqlite3_stmt statement, int count, TableChecksum checksum)
    {
        // The statement's SafeHandle stays open until the caller disposes it, after this loop.
        nint handle = statement.DangerousGetHandle();
        int rc;
        while ((rc = SqliteNative.Step(handle)) == raw.SQLITE_ROW)
        {
            for (int i = 0; i < count; i++)
            {
                nint value = SqliteNative.ColumnValue(handle, i);
                switch (SqliteNative.ValueType(value))
                {
                    case raw.SQLITE_INTEGER:
                        checksum.AddInteger(SqliteNative.ValueInt64(value));
                        break;
                    case raw.SQLITE_FLOAT:
                        checksum.AddReal(SqliteNative.ValueDouble(value));
                        break;
                    case raw.SQLITE_TEXT:
                        checksum.AddTextUtf8(_utf8 ? SqliteNative.ValueBlob(value) : SqliteNative.ValueText(value));
                        break;
                    case raw.SQLITE_BLOB:
                        checksum.AddBlob(SqliteNative.ValueBlob(value));
                        break;
                    default:
                        checksum.AddNull();
                        break;
                }
            }

            checksum.EndRow();
        }

        return rc;
    }

    // The same through SQLitePCLRaw, when the direct calls are not available (another SQLitePCLRaw provider).
    private static int ChecksumThroughSqlitePcl(sqlite3_stmt statement, int count, TableChecksum checksum)
    {
        int rc;
        while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
        {
            for (int i = 0; i < count; i++)
            {
                switch (raw.sqlite3_column_type(statement, i))
                {
                    case raw.SQLITE_INTEGER:
                        checksum.AddInteger(raw.sqlite3_column_int64(statement, i));
                        break;
                    case raw.SQLITE_FLOAT:
                        checksum.AddReal(raw.sqlite3_column_double(statement, i));
                        break;
                    case raw.SQLITE_TEXT:
                        // column_text first: it converts UTF-16 databases' text to UTF-8, then column_bytes measures that.
                        var text = raw.sqlite3_column_text(statement, i);
                        int length = raw.sqlite3_column_bytes(statement, i);
                        checksum.AddTextUtf8(length == 0 ? default : MemoryMarshal.CreateReadOnlySpan(in text.GetPinnableReference(), length));
                        break;
                    case raw.SQLITE_BLOB:
                        checksum.AddBlob(raw.sqlite3_column_blob(statement, i));
                        break;
                    default:
                        checksum.AddNull();
                        break;
                }
            }

            checksum.EndRow();
        }

        return rc;
    }

    /// <summary>Runs a query and returns its first value as text (<c>null</c> when there is none).</summary>
    public string? Text(string sql)
    {
        using var statement = Prepare(sql);
        int rc = raw.sqlite3_step(statement);
        if (rc == raw.SQLITE_ROW)
        {
            return raw.sqlite3_column_text(statement, 0).utf8_to_string();
        }

        Check(rc, raw.SQLITE_DONE);
        return null;
    }

    private void Execute(string sql) => Check(raw.sqlite3_exec(_db, sql), raw.SQLITE_OK);

    private sqlite3_stmt Prepare(string sql)
    {
        int rc = raw.sqlite3_prepare_v2(_db, sql, out sqlite3_stmt statement);
        if (rc != raw.SQLITE_OK)
        {
            statement.Dispose();
            SqliteException.ThrowExceptionForRC(rc, _db);
        }

        return statement;
    }

    private void Check(int rc, int expected)
    {
        if (rc != expected)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }
}
