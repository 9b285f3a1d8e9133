using Microsoft.Extensions.Configuration;

namespace DurableMigration.AzureStorage.Tests;

/// <summary><see cref="StorageAccountConnection"/>: connections read as Azure Functions reads them.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class StorageAccountConnectionTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task CreateTableServiceClient_FromAConnectionString_ReachesTheAccount()
    {
        var configuration = Configuration(("ProgressStorage", azurite.ConnectionString));

        var service = StorageAccountConnection.CreateTableServiceClient(configuration, "ProgressStorage");
        string table = AzuriteFixture.NewTableName();
        await service.CreateTableIfNotExistsAsync(table);

        Assert.Equal("devstoreaccount1", service.AccountName);
        Assert.Contains(service.Query(t => t.Name == table), t => t.Name == table);
    }

    [Theory]
    [InlineData("ProgressStorage:tableServiceUri", "https://account1.table.core.windows.net/", "account1")]
    [InlineData("ProgressStorage:accountName", "account2", "account2")]
    public void CreateTableServiceClient_IdentityBased_UsesTheAccountsEndpoint(string setting, string value, string account)
    {
        var service = StorageAccountConnection.CreateTableServiceClient(Configuration((setting, value)), "ProgressStorage");

        Assert.Equal(account, service.AccountName);
        Assert.Equal($"https://{account}.table.core.windows.net/", service.Uri.ToString());
    }

    [Fact]
    public void CreateTableServiceClient_NotConfigured_NamesTheSettingsToSet()
    {
        var error = Assert.Throws<InvalidOperationException>(() => StorageAccountConnection.CreateTableServiceClient(Configuration(("Other", "x")), "ProgressStorage"));

        Assert.Contains("'ProgressStorage__tableServiceUri'", error.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
}
