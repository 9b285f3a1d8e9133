namespace DurableMigration.Providers.Tests;

public sealed class ProjectWiringTests
{
    [Fact]
    public void ProviderPorts_AreReachable() => Assert.Equal("DurableMigration.Providers", typeof(IDatabaseProvider).Namespace);
}
