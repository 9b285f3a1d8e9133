namespace DurableMigration.AzureStorage.Tests;

/// <summary><see cref="TableConnectionRegistry"/> against a real Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableConnectionRegistryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task GetAsync_NothingRecorded_ReturnsNullAndNoHistory()
    {
        var registry = new TableConnectionRegistry(azurite.Service(), AzuriteFixture.NewTableName());

        Assert.Null(await registry.GetAsync("users"));
        Assert.Empty(await registry.GetHistoryAsync("users"));
    }

    [Fact]
    public async Task SwitchAsync_ReturnsTheEntryBefore_AndRecordsEverySwitchOldestFirst()
    {
        var registry = new TableConnectionRegistry(azurite.Service(), AzuriteFixture.NewTableName());

        var first = await registry.SwitchAsync("users", "env:USERS_TARGET", "sqlite", "cutover of wave w1");
        var second = await registry.SwitchAsync("users", "Data Source=/data/users.db", "sqlite", "rollback of wave w1");
        var current = await registry.GetAsync("users");
        var history = await registry.GetHistoryAsync("users");

        Assert.Null(first);
        Assert.Equal("env:USERS_TARGET", second!.Connection);
        Assert.Equal(("users", "sqlite", "Data Source=/data/users.db"), (current!.Database, current.Engine, current.Connection));
        Assert.Equal(DateTimeKind.Utc, current.UpdatedAt.Kind);
        Assert.Equal(
            [(null, "env:USERS_TARGET", "cutover of wave w1"), ("env:USERS_TARGET", "Data Source=/data/users.db", "rollback of wave w1")],
            history.Select(h => (h.From, h.To, h.Reason)).ToList());
        Assert.Empty(await registry.GetHistoryAsync("orders"));
    }

    [Fact]
    public async Task SwitchAsync_Concurrently_ChainsEverySwitchToTheOneBefore()
    {
        var registry = new TableConnectionRegistry(azurite.Service(), AzuriteFixture.NewTableName());

        await Task.WhenAll(Enumerable.Range(1, 8).Select(i => registry.SwitchAsync("users", $"env:TARGET_{i}", "sqlite", $"switch {i}")));
        var history = await registry.GetHistoryAsync("users");

        Assert.Equal(8, history.Count);
        Assert.Null(history[0].From);
        for (int i = 1; i < history.Count; i++)
        {
            Assert.Equal(history[i - 1].To, history[i].From);
        }

        Assert.Equal(history[^1].To, (await registry.GetAsync("users"))!.Connection);
    }

    [Fact]
    public async Task SwitchAsync_ConnectionWithAPassword_IsRefused()
    {
        var registry = new TableConnectionRegistry(azurite.Service(), AzuriteFixture.NewTableName());

        await Assert.ThrowsAsync<ArgumentException>(() => registry.SwitchAsync("users", "Host=db;Password=hunter2", "postgresql", "cutover"));
        Assert.Null(await registry.GetAsync("users"));
    }
}
