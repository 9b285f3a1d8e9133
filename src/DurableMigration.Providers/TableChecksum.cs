using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
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
/// A row's hash is 64-bit FNV-1a over its values' encodings in column order, passed through the MurmurHash3 64-bit
/// finalizer so every input bit reaches every output bit. Rows combine by a wrapping 64-bit sum and a 64-bit xor;
/// the checksum is the sum then the xor as 32 lower-case hex digits. Both combinations ignore row order; the sum
/// changes when a row is duplicated (the xor alone would not notice a row added twice), and both change when a row
/// is missing or a value changes. Storage classes count: integer <c>1</c>, real <c>1.0</c> and text <c>'1'</c> differ.
/// </para>
/// </remarks>
public sealed class TableChecksum
{
    private const ulong FnvOffsetBasis = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;
    private const byte NullTag = 0;
    private const byte IntegerTag = 1;
    private const byte RealTag = 2;
    private const byte TextTag = 3;
    private const byte BlobTag = 4;

    private ulong _row = FnvOffsetBasis;
    private ulong _sum;
    private ulong _xor;

    /// <summary>Gets how many rows were added.</summary>
    public long Rows { get; private set; }

    /// <summary>Gets the checksum: the sum then the xor of the row hashes, 32 lower-case hex digits.</summary>
    public string Value => _sum.ToString("x16", CultureInfo.InvariantCulture) + _xor.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Adds a null value to the current row.</summary>
    public void AddNull() => MixByte(NullTag);

    /// <summary>Adds an integer value to the current row.</summary>
    public void AddInteger(long value)
    {
        MixByte(IntegerTag);
        MixInt64(value);
    }

    /// <summary>Adds a real value to the current row.</summary>
    public void AddReal(double value)
    {
        MixByte(RealTag);
        MixInt64(BitConverter.DoubleToInt64Bits(value));
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
    public void AddTextUtf8(ReadOnlySpan<byte> utf8)
    {
        MixByte(TextTag);
        MixInt32(utf8.Length);
        MixBytes(utf8);
    }

    /// <summary>Adds a blob value to the current row.</summary>
    public void AddBlob(ReadOnlySpan<byte> value)
    {
        MixByte(BlobTag);
        MixInt32(value.Length);
        MixBytes(value);
    }

    /// <summary>Ends the current row: folds its hash into the checksum and starts the next row.</summary>
    public void EndRow()
    {
        ulong hash = Finalize(_row);
        _sum = unchecked(_sum + hash);
        _xor ^= hash;
        _row = FnvOffsetBasis;
        Rows++;
    }

    /// <inheritdoc/>
    public override string ToString() => Value;

    // MurmurHash3's fmix64: FNV-1a's last bytes only reach the low bits; this spreads them over all 64.
    private static ulong Finalize(ulong h)
    {
        h ^= h >> 33;
        h = unchecked(h * 0xff51afd7ed558ccdUL);
        h ^= h >> 33;
        h = unchecked(h * 0xc4ceb9fe1a85ec53UL);
        h ^= h >> 33;
        return h;
    }

    private void MixByte(byte value) => _row = unchecked((_row ^ value) * FnvPrime);

    private void MixInt32(int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        MixBytes(bytes);
    }

    private void MixInt64(long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        MixBytes(bytes);
    }

    private void MixBytes(ReadOnlySpan<byte> bytes)
    {
        ulong h = _row;
        foreach (byte b in bytes)
        {
            h = unchecked((h ^ b) * FnvPrime);
        }

        _row = h;
    }
}
