using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;

namespace DurableMigration.Providers;

/// <summary>An order-independent checksum of a table's rows, fed value by value, row by row.</summary>
/// <remarks>
/// <para>
/// Each value is encoded canonically with a type tag: <c>0</c> null; <c>1</c> integer, 8 bytes little-endian;
/// <c>2</c> real, the 8 bytes of its IEEE 754 bits little-endian; <c>3</c> text, its UTF-8 length as 4 bytes
/// little-endian then its UTF-8 bytes; <c>4</c> blob, its length as 4 bytes little-endian then its bytes. The length
/// prefixes keep column boundaries unambiguous, so <c>('ab','c')</c> and <c>('a','bc')</c> differ.
/// </para>
/// <para>
/// A row's hash is XXH3-64 (seed 0, <see cref="XxHash3"/>) of its values' encodings concatenated in column order: the
/// encodings are collected in a buffer and hashed once per row (rows longer than the buffer are hashed incrementally,
/// which gives the same hash). Rows combine by a wrapping 64-bit sum and a 64-bit xor; the checksum is the sum then
/// the xor as 32 lower-case hex digits. Both combinations ignore row order; the sum changes when a row is duplicated
/// (the xor alone would not notice a row added twice), and both change when a row is missing or a value changes.
/// Storage classes count: integer <c>1</c>, real <c>1.0</c>, text <c>'1'</c> and blob <c>x'31'</c> differ, and so do
/// null, empty text and an empty blob.
/// </para>
/// </remarks>
public sealed class TableChecksum
{
    private const int BufferSize = 16 * 1024;
    private const byte NullTag = 0;
    private const byte IntegerTag = 1;
    private const byte RealTag = 2;
    private const byte TextTag = 3;
    private const byte BlobTag = 4;

    private readonly byte[] _buffer = new byte[BufferSize];
    private int _length;
    private XxHash3? _long; // the current row's hash so far, once the row outgrew the buffer
    private bool _streaming;
    private ulong _sum;
    private ulong _xor;

    /// <summary>Gets how many rows were added.</summary>
    public long Rows { get; private set; }

    /// <summary>Gets the checksum: the sum then the xor of the row hashes, 32 lower-case hex digits.</summary>
    public string Value => _sum.ToString("x16", CultureInfo.InvariantCulture) + _xor.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Adds a null value to the current row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddNull() => Reserve(1)[0] = NullTag;

    /// <summary>Adds an integer value to the current row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddInteger(long value)
    {
        var bytes = Reserve(9);
        bytes[0] = IntegerTag;
        BinaryPrimitives.WriteInt64LittleEndian(bytes[1..], value);
    }

    /// <summary>Adds a real value to the current row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddReal(double value)
    {
        var bytes = Reserve(9);
        bytes[0] = RealTag;
        BinaryPrimitives.WriteInt64LittleEndian(bytes[1..], BitConverter.DoubleToInt64Bits(value));
    }

    /// <summary>Adds a text value to the current row.</summary>
    public void AddText(ReadOnlySpan<char> value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = max > 1024 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> buffer = rented ?? stackalloc byte[1024];
        try
        {
            int length = Encoding.UTF8.GetBytes(value, buffer);
            AddTextUtf8(buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Adds a text value, already encoded as UTF-8, to the current row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddTextUtf8(ReadOnlySpan<byte> utf8) => AddBytes(TextTag, utf8);

    /// <summary>Adds a blob value to the current row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddBlob(ReadOnlySpan<byte> value) => AddBytes(BlobTag, value);

    /// <summary>Ends the current row: folds its hash into the checksum and starts the next row.</summary>
    public void EndRow()
    {
        ulong hash;
        if (_streaming)
        {
            _long!.Append(_buffer.AsSpan(0, _length));
            hash = _long.GetCurrentHashAsUInt64();
            _long.Reset();
            _streaming = false;
        }
        else
        {
            hash = XxHash3.HashToUInt64(_buffer.AsSpan(0, _length));
        }

        _length = 0;
        _sum = unchecked(_sum + hash);
        _xor ^= hash;
        Rows++;
    }

    /// <summary>Folds the rows of <paramref name="other"/> (another part of the same table) into this checksum: the result equals one checksum fed all rows of both.</summary>
    public void Add(TableChecksum other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _sum = unchecked(_sum + other._sum);
        _xor ^= other._xor;
        Rows += other.Rows;
    }

    /// <inheritdoc/>
    public override string ToString() => Value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddBytes(byte tag, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > _buffer.Length - _length - 5)
        {
            AddLongBytes(tag, bytes);
            return;
        }

        var target = _buffer.AsSpan(_length, bytes.Length + 5);
        target[0] = tag;
        BinaryPrimitives.WriteInt32LittleEndian(target[1..], bytes.Length);
        bytes.CopyTo(target[5..]);
        _length += target.Length;
    }

    private void AddLongBytes(byte tag, ReadOnlySpan<byte> bytes)
    {
        var head = Reserve(5);
        head[0] = tag;
        BinaryPrimitives.WriteInt32LittleEndian(head[1..], bytes.Length);
        if (bytes.Length > _buffer.Length - _length)
        {
            Flush();
            if (bytes.Length > _buffer.Length)
            {
                _long!.Append(bytes);
                return;
            }
        }

        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>Returns the next <paramref name="count"/> bytes of the current row's encoding, to be filled in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int count)
    {
        if (count > _buffer.Length - _length)
        {
            Flush();
        }

        var bytes = _buffer.AsSpan(_length, count);
        _length += count;
        return bytes;
    }

    /// <summary>Moves the buffer into the incremental hash: the row is longer than the buffer.</summary>
    private void Flush()
    {
        (_long ??= new XxHash3()).Append(_buffer.AsSpan(0, _length));
        _streaming = true;
        _length = 0;
    }
}
