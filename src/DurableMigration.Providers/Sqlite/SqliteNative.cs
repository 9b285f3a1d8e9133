using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SQLitePCL;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Direct calls into the SQLite library SQLitePCLRaw loaded, for validation's row scans.</summary>
/// <remarks>
/// <para>
/// SQLitePCLRaw passes every statement as a <see cref="SafeHandle"/> (a reference count taken and dropped around each
/// call) and makes a full managed-to-native transition per call. A validation scan makes three or four calls per
/// value, and that overhead was about as large as SQLite's own work. Here the same C functions are called through
/// function pointers on the raw handles; the value accessors without a GC transition, which is allowed because they
/// neither block nor call back into managed code (<c>sqlite3_step</c>, which may wait in the busy handler, keeps it).
/// </para>
/// <para>
/// The pointers come from the very library SQLitePCLRaw's provider loaded: the same library name resolved for the
/// provider's own assembly (so the same search paths and resolver), then checked by address:
/// <c>sqlite3_libversion</c> returns a pointer to a string inside the library, and only the same loaded copy returns
/// the same pointer. With any other SQLitePCLRaw provider, or when the check fails, <see cref="Available"/> is false
/// and callers use SQLitePCLRaw's calls, which give the same results more slowly.
/// </para>
/// </remarks>
internal static unsafe class SqliteNative
{
    private static readonly Functions? Loaded = Load();

    /// <summary>Gets a value indicating whether the direct calls can be used.</summary>
    public static bool Available => Loaded is not null;

    /// <summary><c>sqlite3_step</c>.</summary>
    public static int Step(nint statement) => Loaded!.Step(statement);

    /// <summary><c>sqlite3_column_value</c>: the current row's value of a column (valid until the next step).</summary>
    public static nint ColumnValue(nint statement, int column) => Loaded!.ColumnValue(statement, column);

    /// <summary><c>sqlite3_value_type</c>: one of <c>SQLITE_INTEGER</c>, <c>SQLITE_FLOAT</c>, <c>SQLITE_TEXT</c>, <c>SQLITE_BLOB</c>, <c>SQLITE_NULL</c>.</summary>
    public static int ValueType(nint value) => Loaded!.ValueType(value);

    /// <summary><c>sqlite3_value_int64</c>.</summary>
    public static long ValueInt64(nint value) => Loaded!.ValueInt64(value);

    /// <summary><c>sqlite3_value_double</c>.</summary>
    public static double ValueDouble(nint value) => Loaded!.ValueDouble(value);

    /// <summary><c>sqlite3_value_blob</c>: the value's bytes as stored (for text: in the database's encoding), without a copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> ValueBlob(nint value)
    {
        byte* bytes = Loaded!.ValueBlob(value);
        return Span(bytes, Loaded.ValueBytes(value));
    }

    /// <summary><c>sqlite3_value_text</c> then <c>sqlite3_value_bytes</c>: the value as UTF-8 text, converted if the database is UTF-16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> ValueText(nint value)
    {
        byte* text = Loaded!.ValueText(value);
        return Span(text, Loaded.ValueBytes(value));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<byte> Span(byte* bytes, int length)
    {
        if (length == 0)
        {
            return default;
        }

        if (bytes is null)
        {
            // SQLite returns no pointer for a non-empty value only when it could not allocate (expanding a zeroblob, converting text).
            throw new InsufficientMemoryException("SQLite could not allocate memory for a value (SQLITE_NOMEM).");
        }

        return new ReadOnlySpan<byte>(bytes, length);
    }

    private static Functions? Load()
    {
        try
        {
            if (raw.GetNativeLibraryName() != "e_sqlite3"
                || !NativeLibrary.TryLoad("e_sqlite3", typeof(SQLite3Provider_e_sqlite3).Assembly, null, out nint library))
            {
                return null;
            }

            var functions = new Functions(library);
            fixed (byte* version = raw.sqlite3_libversion())
            {
                return functions.LibVersion() == version ? functions : null;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or InvalidOperationException)
        {
            return null;
        }
    }

    private sealed class Functions(nint library)
    {
        public readonly delegate* unmanaged[Cdecl]<byte*> LibVersion = (delegate* unmanaged[Cdecl]<byte*>)NativeLibrary.GetExport(library, "sqlite3_libversion");
        public readonly delegate* unmanaged[Cdecl]<nint, int> Step = (delegate* unmanaged[Cdecl]<nint, int>)NativeLibrary.GetExport(library, "sqlite3_step");
        public readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, int, nint> ColumnValue = (delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, int, nint>)NativeLibrary.GetExport(library, "sqlite3_column_value");
        public readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, int> ValueType = (delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, int>)NativeLibrary.GetExport(library, "sqlite3_value_type");
        public readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, long> ValueInt64 = (delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, long>)NativeLibrary.GetExport(library, "sqlite3_value_int64");
        public readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, double> ValueDouble = (delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, double>)NativeLibrary.GetExport(library, "sqlite3_value_double");
        public readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, byte*> ValueBlob = (delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, byte*>)NativeLibrary.GetExport(library, "sqlite3_value_blob");
        public readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, byte*> ValueText = (delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, byte*>)NativeLibrary.GetExport(library, "sqlite3_value_text");
        public readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, int> ValueBytes = (delegate* unmanaged[Cdecl, SuppressGCTransition]<nint, int>)NativeLibrary.GetExport(library, "sqlite3_value_bytes");
    }
}
