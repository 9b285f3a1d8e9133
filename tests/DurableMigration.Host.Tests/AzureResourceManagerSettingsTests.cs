using DurableMigration.Host.Hosting;

namespace DurableMigration.Host.Tests;

/// <summary><c>DMIG_ARM_ENDPOINT</c>: where engine sqlserver reaches Azure Resource Manager.</summary>
public sealed class AzureResourceManagerSettingsTests
{
    [Fact]
    public void ClientOptions_NothingSet_MeansThePublicCloud()
    {
        Assert.Null(AzureResourceManagerSettings.ClientOptions(_ => null));
    }

    [Fact]
    public void ClientOptions_SovereignEndpoint_AsksTokensForThatCloud()
    {
        var options = AzureResourceManagerSettings.ClientOptions(_ => "https://management.usgovcloudapi.net/");

        Assert.Equal(new Uri("https://management.usgovcloudapi.net/"), options!.Endpoint);
        Assert.Equal("https://management.usgovcloudapi.net/.default", options.TokenScope);
    }

    [Fact]
    public void ClientOptions_PlainHttpEndpoint_IsRefusedNamingTheVariable()
    {
        var error = Assert.Throws<ArgumentException>(() => AzureResourceManagerSettings.ClientOptions(_ => "http://management.azure.com"));

        Assert.Contains("DMIG_ARM_ENDPOINT must be an absolute https URI", error.Message, StringComparison.Ordinal);
    }
}
