using DurableMigration.Providers.Sqlite;
using DurableMigration.Providers.Tests.Fixtures;

namespace DurableMigration.Providers.Tests;

public sealed class ScanConnectionTests : IDisposable
{
    private const string Rows = """
        CREATE TABLE t (a, b, c);
        INSERT INTO t VALUES
            (1, 1.0, '1'), (-9223372036854775808, 9223372036854775807, -0.0), (NULL, '', x''),
            ('grüße ✓ 𝄞', 'a' || char(0) || 'b', zeroblob(20)), (randomblob(100000), printf('%.*c', 40000, 'x'), 2.5e-300),
            (x'00ff', 'é', 3);
        """;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void DirectCalls_AreAvailableWithTheBundledSqlite()
    {
        Assert.True(SqliteNative.Available); // otherwise validation falls back to SQLitePCLRaw's slower calls
    }

    [Theory]
    [InlineData("UTF-8", true)]
    [InlineData("UTF-16le", true)]
    [InlineData("UTF-16be", true)]
    [InlineData("UTF-8", false)] // through SQLitePCLRaw, as with another SQLitePCLRaw provider
    [InlineData("UTF-16le", false)]
    public void Checksum_EqualsTheChecksumOfTheValuesMicrosoftDataSqliteReads(string encoding, bool direct)
    {
        string path = Create("db.db", encoding, Rows);

        Assert.Equal(Reference(path, "SELECT a, b, c FROM t"), Scan(path, "SELECT a, b, c FROM main.t", direct));
    }

    [Fact]
    public void Checksum_IsTheSameInUtf8AndUtf16Databases()
    {
        string utf8 = Create("utf8.db", "UTF-8", "CREATE TABLE t (a, b); INSERT INTO t VALUES ('grüße ✓ 𝄞', 'a' || char(0) || 'b'), ('', NULL);");
        string utf16 = Create("utf16.db", "UTF-16le", "CREATE TABLE t (a, b); INSERT INTO t VALUES ('grüße ✓ 𝄞', 'a' || char(0) || 'b'), ('', NULL);");

        Assert.Equal(Scan(utf8, "SELECT a, b FROM main.t"), Scan(utf16, "SELECT a, b FROM main.t"));
    }

    [Fact]
    public void Int64_CountsRowsInsideAReadTransaction()
    {
        string path = Create("db.db", "UTF-8", Rows);
        using var connection = ScanConnection.Open(SqliteFile.Parse(Db.ConnectionString(path), "db", "source"));

        long count = 0;
        connection.InReadTransaction(() => count = connection.Int64("SELECT count(*) FROM main.t"));

        Assert.Equal(6, count);
    }

    private static string Scan(string path, string sql, bool direct = true)
    {
        using var connection = ScanConnection.Open(SqliteFile.Parse(Db.ConnectionString(path), "db", "source"));
        return connection.Checksum(sql, direct).Value;
    }

    // The same checksum, fed from the values Microsoft.Data.Sqlite's reader returns.
    private static string Reference(string path, string sql)
    {
        var checksum = new TableChecksum();
        using var connection = Db.Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            for (int i = 0; i < reader.FieldCount; i++)
            {
                switch (reader.GetValue(i))
                {
                    case long l: checksum.AddInteger(l); break;
                    case double d: checksum.AddReal(d); break;
                    case string s: checksum.AddText(s); break;
                    case byte[] b: checksum.AddBlob(b); break;
                    default: checksum.AddNull(); break;
                }
            }

            checksum.EndRow();
        }

        return checksum.Value;
    }

    private string Create(string name, string encoding, string sql)
    {
        string path = _folder.File(name);
        Db.Execute(path, $"PRAGMA encoding = '{encoding}'; {sql}");
        Assert.Equal(encoding, Db.Scalar(path, "PRAGMA encoding"));
        return path;
    }
}
