using DurableMigration.Providers.Tests.Fixtures;

namespace DurableMigration.Providers.Tests;

public sealed class SqliteDropTargetTests : IDisposable
{
    private readonly ProviderScenario _scenario = new();

    public SqliteDropTargetTests() => _scenario.BuildSource(new SocialMediaSource().InWalMode());

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public async Task DropTargetAsync_RemovesTheTargetAndItsSidecarFiles()
    {
        await _scenario.MigrateAsync();
        await File.WriteAllTextAsync(_scenario.TargetPath + "-journal", "leftover");
        await File.WriteAllTextAsync(_scenario.TargetPath + "-wal", "leftover");

        await _scenario.Provider.DropTargetAsync(_scenario.Endpoints());

        Assert.False(File.Exists(_scenario.TargetPath));
        Assert.False(File.Exists(_scenario.TargetPath + "-wal"));
        Assert.False(File.Exists(_scenario.TargetPath + "-shm"));
        Assert.False(File.Exists(_scenario.TargetPath + "-journal"));
        Assert.True(File.Exists(_scenario.SourcePath));
    }

    [Fact]
    public async Task DropTargetAsync_Twice_IsIdempotent()
    {
        await _scenario.MigrateAsync();

        await _scenario.Provider.DropTargetAsync(_scenario.Endpoints());
        await _scenario.Provider.DropTargetAsync(_scenario.Endpoints());

        Assert.False(File.Exists(_scenario.TargetPath));
    }

    [Fact]
    public async Task DropTargetAsync_OfAPartialTarget_RemovesIt()
    {
        await _scenario.Provider.CopySchemaAsync(_scenario.Endpoints());

        await _scenario.Provider.DropTargetAsync(_scenario.Endpoints());

        Assert.False(File.Exists(_scenario.TargetPath));
    }

    [Fact]
    public async Task DropTargetAsync_OfSomeoneElsesDatabase_RefusesNonRetriably()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_scenario.TargetPath)!);
        Db.Execute(_scenario.TargetPath, "CREATE TABLE precious (id INTEGER PRIMARY KEY)");

        await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _scenario.Provider.DropTargetAsync(_scenario.Endpoints()));

        Assert.True(File.Exists(_scenario.TargetPath));
    }

    [Fact]
    public async Task DropTargetAsync_TargetNamingTheSource_RefusesNonRetriably()
    {
        var endpoints = _scenario.Endpoints() with { TargetConnection = Db.ConnectionString(_scenario.SourcePath) };

        await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _scenario.Provider.DropTargetAsync(endpoints));

        Assert.True(File.Exists(_scenario.SourcePath));
    }
}
