using System.Buffers.Binary;
using System.IO.Hashing;

namespace DurableMigration.Providers.Tests;

public sealed class TableChecksumTests
{
    [Fact]
    public void Value_IsIndependentOfRowOrder()
    {
        var forward = Checksum(Row(1, "a"), Row(2, "b"), Row(3, null));
        var backward = Checksum(Row(3, null), Row(1, "a"), Row(2, "b"));

        Assert.Equal(forward, backward);
    }

    [Fact]
    public void Value_ChangesWhenARowIsDuplicated()
    {
        Assert.NotEqual(Checksum(Row(1, "a"), Row(2, "b")), Checksum(Row(1, "a"), Row(2, "b"), Row(2, "b")));
    }

    [Fact]
    public void Value_ChangesWhenARowIsMissing()
    {
        Assert.NotEqual(Checksum(Row(1, "a"), Row(2, "b")), Checksum(Row(1, "a")));
    }

    [Fact]
    public void Value_ChangesWhenAValueChanges()
    {
        Assert.NotEqual(Checksum(Row(1, "a"), Row(2, "b")), Checksum(Row(1, "a"), Row(2, "c")));
    }

    [Fact]
    public void Value_DistinguishesStorageClasses()
    {
        var values = new[]
        {
            Single(c => c.AddInteger(1)),
            Single(c => c.AddReal(1.0)),
            Single(c => c.AddText("1")),
            Single(c => c.AddBlob("1"u8)),
            Single(c => c.AddNull()),
        };

        Assert.Equal(values.Length, values.Distinct().Count());
    }

    [Fact]
    public void Value_KeepsColumnBoundaries()
    {
        Assert.NotEqual(Single(c => { c.AddText("ab"); c.AddText("c"); }), Single(c => { c.AddText("a"); c.AddText("bc"); }));
    }

    [Fact]
    public void Value_IsTheSameForTextGivenAsCharsOrAsUtf8()
    {
        Assert.Equal(Single(c => c.AddText("grüße ✓")), Single(c => c.AddTextUtf8("grüße ✓"u8)));
    }

    [Fact]
    public void Value_IsThirtyTwoHexDigitsAndStable()
    {
        string value = Checksum(Row(1, "a"));

        Assert.Matches("^[0-9a-f]{32}$", value);
        Assert.Equal(value, Checksum(Row(1, "a")));
        Assert.Equal(new string('0', 32), new TableChecksum().Value); // no rows
    }

    [Fact]
    public void Value_ChangesWhenValuesAreSwappedBetweenRows()
    {
        Assert.NotEqual(Checksum(Row(1, "a"), Row(2, "b")), Checksum(Row(1, "b"), Row(2, "a")));
    }

    [Fact]
    public void Value_DistinguishesNullEmptyTextAndEmptyBlob()
    {
        var values = new[]
        {
            Single(c => c.AddNull()),
            Single(c => c.AddText(string.Empty)),
            Single(c => c.AddBlob([])),
            Single(c => c.AddInteger(0)),
            Single(c => c.AddReal(0.0)),
        };

        Assert.Equal(values.Length, values.Distinct().Count());
    }

    [Fact]
    public void Value_DistinguishesPositiveAndNegativeZero()
    {
        Assert.NotEqual(Single(c => c.AddReal(0.0)), Single(c => c.AddReal(-0.0)));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(16 * 1024 - 5)] // fills the row buffer exactly
    [InlineData(16 * 1024)] // one byte past it
    [InlineData(100_000)] // hashed incrementally
    public void Value_ChangesWhenOneByteOfABlobChanges(int length)
    {
        byte[] blob = Enumerable.Range(0, length).Select(i => (byte)(i * 31)).ToArray();
        string before = Single(c => { c.AddInteger(1); c.AddBlob(blob); });
        blob[length / 2] ^= 0x01;

        Assert.NotEqual(before, Single(c => { c.AddInteger(1); c.AddBlob(blob); }));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(16 * 1024)]
    [InlineData(100_000)]
    public void RowHash_IsXxHash3OfTheCanonicalEncoding_HoweverLongTheRow(int length)
    {
        // Also proves that a row longer than the buffer (hashed incrementally) hashes as if in one piece.
        byte[] text = Enumerable.Range(0, length).Select(i => (byte)('a' + (i % 26))).ToArray();
        var checksum = new TableChecksum();
        checksum.AddNull();
        checksum.AddInteger(-2);
        checksum.AddReal(1.5);
        checksum.AddTextUtf8(text);
        checksum.AddBlob([7, 8]);
        checksum.EndRow();

        var encoding = new List<byte> { 0, 1 };
        encoding.AddRange(Int64(-2));
        encoding.Add(2);
        encoding.AddRange(Int64(BitConverter.DoubleToInt64Bits(1.5)));
        encoding.Add(3);
        encoding.AddRange(Int32(length));
        encoding.AddRange(text);
        encoding.Add(4);
        encoding.AddRange(Int32(2));
        encoding.AddRange([7, 8]);
        ulong hash = XxHash3.HashToUInt64(encoding.ToArray());

        Assert.Equal($"{hash:x16}{hash:x16}", checksum.Value); // one row: its sum and its xor are its hash
    }

    private static byte[] Int64(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static object?[] Row(long id, string? text) => [id, text];

    private static string Checksum(params object?[][] rows)
    {
        var checksum = new TableChecksum();
        foreach (var row in rows)
        {
            foreach (object? value in row)
            {
                switch (value)
                {
                    case null: checksum.AddNull(); break;
                    case long l: checksum.AddInteger(l); break;
                    case string s: checksum.AddText(s); break;
                }
            }

            checksum.EndRow();
        }

        return checksum.Value;
    }

    private static string Single(Action<TableChecksum> row)
    {
        var checksum = new TableChecksum();
        row(checksum);
        checksum.EndRow();
        return checksum.Value;
    }
}
