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
