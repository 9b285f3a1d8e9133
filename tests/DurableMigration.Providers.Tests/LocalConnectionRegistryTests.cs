using DurableMigration.Providers.Connections;
using DurableMigration.Providers.Tests.Fixtures;

namespace DurableMigration.Providers.Tests;

public sealed class LocalConnectionRegistryTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 3, 14, 9, 26, 53, TimeSpan.Zero));

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task GetAsync_UnknownDatabase_ReturnsNull()
    {
        var registry = Registry();

        Assert.Null(await registry.GetAsync("users"));
    }

    [Fact]
    public async Task SwitchAsync_FirstSwitch_ReturnsNullAndSetsTheEntry()
    {
        var registry = Registry();

        var previous = await registry.SwitchAsync("users", "env:USERS_SOURCE", "sqlite", "initial registration");

        Assert.Null(previous);
        Assert.Equal(new ConnectionEntry("users", "sqlite", "env:USERS_SOURCE", _clock.GetUtcNow().UtcDateTime), await registry.GetAsync("users"));
    }

    [Fact]
    public async Task SwitchAsync_ReturnsTheEntryThatWasCurrentBefore()
    {
        var registry = Registry();
        await registry.SwitchAsync("users", "env:USERS_SOURCE", "sqlite", "initial registration");
        var registeredAt = _clock.GetUtcNow().UtcDateTime;
        _clock.Advance(TimeSpan.FromMinutes(5));

        var previous = await registry.SwitchAsync("users", "file:/secrets/users-target.conn", "sqlite", "cutover of wave w1");

        Assert.Equal(new ConnectionEntry("users", "sqlite", "env:USERS_SOURCE", registeredAt), previous);
        Assert.Equal("file:/secrets/users-target.conn", (await registry.GetAsync("users"))!.Connection);
    }

    [Fact]
    public async Task GetHistoryAsync_ListsEverySwitchOldestFirst()
    {
        var registry = Registry();
        var t0 = _clock.GetUtcNow().UtcDateTime;
        await registry.SwitchAsync("users", "env:A", "sqlite", "initial registration");
        _clock.Advance(TimeSpan.FromMinutes(1));
        await registry.SwitchAsync("users", "env:B", "sqlite", "cutover of wave w1");
        _clock.Advance(TimeSpan.FromMinutes(1));
        await registry.SwitchAsync("users", "env:A", "sqlite", "rollback of wave w1");
        await registry.SwitchAsync("other", "env:C", "sqlite", "unrelated");

        var history = await registry.GetHistoryAsync("users");

        Assert.Equal(
            [
                new ConnectionSwitch("users", null, "env:A", "initial registration", t0),
                new ConnectionSwitch("users", "env:A", "env:B", "cutover of wave w1", t0.AddMinutes(1)),
                new ConnectionSwitch("users", "env:B", "env:A", "rollback of wave w1", t0.AddMinutes(2)),
            ],
            history);
        Assert.All(history, s => Assert.Equal(DateTimeKind.Utc, s.At.Kind));
    }

    [Fact]
    public async Task Entries_PersistAcrossInstances()
    {
        await Registry().SwitchAsync("users", "env:A", "sqlite", "initial registration");
        await Registry().SwitchAsync("users", "env:B", "sqlite", "cutover of wave w1");

        var reopened = Registry();

        Assert.Equal("env:B", (await reopened.GetAsync("users"))!.Connection);
        Assert.Equal(2, (await reopened.GetHistoryAsync("users")).Count);
    }

    [Fact]
    public async Task SwitchAsync_ConnectionCarryingAPassword_IsRefused()
    {
        var registry = Registry();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => registry.SwitchAsync("users", "Server=db;Password=hunter2", "sqlserver", "cutover"));

        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.Null(await registry.GetAsync("users"));
    }

    [Fact]
    public async Task Registry_CreatesItsFolderOnFirstUse()
    {
        var registry = new LocalConnectionRegistry(_folder.File(Path.Combine("nested", "data", "registry.db")), _clock);

        await registry.SwitchAsync("users", "env:A", "sqlite", "initial registration");

        Assert.True(File.Exists(registry.Path));
    }

    private LocalConnectionRegistry Registry() => new(_folder.File("registry.db"), _clock);

    private sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
