using DurableMigration.Manifest;
using static DurableMigration.Core.Tests.Manifest.ManifestSamples;

namespace DurableMigration.Core.Tests.Manifest;

public sealed class ConnectionRulesTests
{
    private const string Secret = "S3cr3t-Value-42";

    [Theory]
    [InlineData("env:USERS_DB")]
    [InlineData("env:_x1")]
    [InlineData("file:/run/secrets/users")]
    [InlineData("Data Source=/data/users.db;Mode=ReadOnly;Foreign Keys=True")]
    [InlineData("Host=db.example;Port=5432;Database=users;Username=migrator;SSL Mode=Require")]
    [InlineData("postgresql://migrator@db.example:5432/users?sslmode=require")]
    public void Parse_ConnectionWithoutCredentials_IsAccepted(string connection)
    {
        var text = Minimal(root => FirstDatabase(root)["source"]!["connection"] = connection);

        Assert.Equal(connection, WaveManifestReader.Parse(text).Databases[0].Source.Connection);
    }

    [Theory]
    [InlineData("Data Source=/data/users.db;Password=" + Secret, "Password")]
    [InlineData("Server=db;Pwd=" + Secret, "Pwd")]
    [InlineData("Server=db; User Password = " + Secret, "User Password")]
    [InlineData("Server=db;password=" + Secret, "password")]
    [InlineData("AccountName=acct;AccountKey=" + Secret, "AccountKey")]
    [InlineData("Endpoint=sb://x/;SharedAccessKeyName=root;SharedAccessKey=" + Secret, "SharedAccessKey")]
    [InlineData("BlobEndpoint=https://x/;SharedAccessSignature=" + Secret, "SharedAccessSignature")]
    [InlineData("Host=db;Token=" + Secret, "Token")]
    [InlineData("Host=db;ApiKey=" + Secret, "ApiKey")]
    [InlineData("Host=db;Secret=" + Secret, "Secret")]
    [InlineData("Host=db;Key=" + Secret, "Key")]
    [InlineData("host=db password=" + Secret, "password")]
    [InlineData("postgresql://db/users?sslmode=require&password=" + Secret, "password")]
    public void Parse_ConnectionWithACredentialKey_NamesTheKey(string connection, string key)
    {
        var text = Minimal(root => FirstDatabase(root)["source"]!["connection"] = connection);

        Single(ErrorsOf(text), "databases[0].source.connection", $"the source connection of 'a' contains the credential key '{key}'");
    }

    [Fact]
    public void Parse_ConnectionWithACredential_NeverEchoesTheSecret()
    {
        var text = Minimal(root => FirstDatabase(root)["target"]!["connection"] = $"Data Source=/data/a.db;Password={Secret}");

        var exception = Assert.Throws<ManifestValidationException>(() => WaveManifestReader.Parse(text));

        Assert.DoesNotContain(Secret, exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, exception.ToString(), StringComparison.Ordinal);
        Assert.All(exception.Errors, e => Assert.DoesNotContain(Secret, e.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_UrlWithUserAndPassword_IsRefusedWithoutEchoingIt()
    {
        var text = Minimal(root => FirstDatabase(root)["source"]!["connection"] = $"postgresql://migrator:{Secret}@db.example/users");

        var error = Single(ErrorsOf(text), "databases[0].source.connection", "carries a password in its URL (user:password@)");
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralCredentialKeys_AreAllNamed()
    {
        var text = Minimal(root => FirstDatabase(root)["source"]!["connection"] = $"Server=db;Pwd={Secret};Token={Secret}");

        Single(ErrorsOf(text), "databases[0].source.connection", "contains the credential keys 'Pwd', 'Token'");
    }

    [Theory]
    [InlineData("env:")]
    [InlineData("env:1ABC")]
    [InlineData("env:MY-VAR")]
    public void Parse_EnvReferenceWithoutAValidName_IsRefused(string connection)
    {
        var text = Minimal(root => FirstDatabase(root)["source"]!["connection"] = connection);

        Single(ErrorsOf(text), "databases[0].source.connection", "is an env: reference without a valid variable name");
    }

    [Fact]
    public void Parse_FileReferenceWithoutAPath_IsRefused()
    {
        var text = Minimal(root => FirstDatabase(root)["source"]!["connection"] = "file:  ");

        Single(ErrorsOf(text), "databases[0].source.connection", "is a file: reference without a path");
    }

    [Fact]
    public void Parse_EmptyConnection_IsRefused()
    {
        var text = Minimal(root => FirstDatabase(root)["source"]!["connection"] = "");

        Single(ErrorsOf(text), "databases[0].source.connection", "must not be empty");
    }
}
