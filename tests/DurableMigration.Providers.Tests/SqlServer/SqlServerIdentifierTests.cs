using DurableMigration.Providers.SqlServer;

namespace DurableMigration.Providers.Tests.SqlServer;

/// <summary>Identifier quoting as <c>QUOTENAME</c> does it, and the table names of a filter.</summary>
public sealed class SqlServerIdentifierTests
{
    [Theory]
    [InlineData("orders", "[orders]")]
    [InlineData("order lines", "[order lines]")]
    [InlineData("a]b", "[a]]b]")]
    [InlineData("]]", "[]]]]]")]
    [InlineData("[x]", "[[x]]]")]
    [InlineData("it's", "[it's]")]
    [InlineData("naïve 表", "[naïve 表]")]
    public void Quote_DoublesClosingBrackets(string name, string expected) => Assert.Equal(expected, SqlServerIdentifier.Quote(name));

    [Fact]
    public void Quote_AcceptsOneHundredTwentyEightCharactersAndRefusesMore()
    {
        Assert.Equal(130, SqlServerIdentifier.Quote(new string('a', 128)).Length);
        Assert.Throws<ArgumentException>(() => SqlServerIdentifier.Quote(new string('a', 129)));
        Assert.Throws<ArgumentException>(() => SqlServerIdentifier.Quote(string.Empty));
        Assert.Throws<ArgumentException>(() => SqlServerIdentifier.Quote("a\0b"));
    }

    [Fact]
    public void Quote_TwoPartNames() => Assert.Equal("[sales].[order]]lines]", SqlServerIdentifier.Quote("sales", "order]lines"));

    [Theory]
    [InlineData("it's", "N'it''s'")]
    [InlineData("", "N''")]
    public void Literal_DoublesQuotes(string value, string expected) => Assert.Equal(expected, SqlServerIdentifier.Literal(value));

    [Theory]
    [InlineData("orders", "dbo", "orders")]
    [InlineData("sales.orders", "sales", "orders")]
    [InlineData("[sales].[order lines]", "sales", "order lines")]
    [InlineData("[my.schema].[a.b]", "my.schema", "a.b")]
    [InlineData("[we]]ird].t", "we]ird", "t")]
    [InlineData(" sales . orders ", "sales", "orders")]
    public void SplitTableName_FindsSchemaAndTable(string name, string schema, string table) =>
        Assert.Equal((schema, table), SqlServerIdentifier.SplitTableName(name));
}
