using DurableMigration.Providers.Connections;
using DurableMigration.Providers.Tests.Fixtures;
using Microsoft.DurableTask;

namespace DurableMigration.Providers.Tests;

public sealed class ConnectionResolverTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly string _variable = "DMIG_TEST_" + Guid.NewGuid().ToString("N").ToUpperInvariant();

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_variable, null);
        _folder.Dispose();
    }

    [Fact]
    public async Task ResolveAsync_EnvReference_ReturnsTheVariablesValue()
    {
        Environment.SetEnvironmentVariable(_variable, "Data Source=/secret/app.db");

        string resolved = await new ConnectionResolver().ResolveAsync("env:" + _variable);

        Assert.Equal("Data Source=/secret/app.db", resolved);
    }

    [Fact]
    public async Task ResolveAsync_EnvReferenceToAMissingVariable_FailsNonRetriablyNamingTheVariable()
    {
        var error = await Assert.ThrowsAsync<ConnectionResolutionException>(() => new ConnectionResolver().ResolveAsync("env:" + _variable));

        Assert.Contains(_variable, error.Message, StringComparison.Ordinal);
        Assert.Equal("env:" + _variable, error.Reference);
        Assert.True(TaskFailureDetails.FromException(error).IsNonRetriable());
    }

    [Fact]
    public async Task ResolveAsync_EnvReferenceToABlankVariable_FailsWithoutShowingTheValue()
    {
        Environment.SetEnvironmentVariable(_variable, "   \t ");

        var error = await Assert.ThrowsAsync<ConnectionResolutionException>(() => new ConnectionResolver().ResolveAsync("env:" + _variable));

        Assert.Contains(_variable, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\t", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_ErrorsNeverCarryAnotherVariablesValue()
    {
        Environment.SetEnvironmentVariable(_variable + "_SET", "Data Source=/secret/other.db");

        var error = await Assert.ThrowsAsync<ConnectionResolutionException>(() => new ConnectionResolver().ResolveAsync("env:" + _variable));

        Assert.DoesNotContain("Data Source", error.ToString(), StringComparison.Ordinal);
        Environment.SetEnvironmentVariable(_variable + "_SET", null);
    }

    [Fact]
    public async Task ResolveAsync_FileReference_ReturnsTheTrimmedContent()
    {
        string path = _folder.File("source.conn");
        await File.WriteAllTextAsync(path, "\n  Data Source=/secret/app.db  \n");

        string resolved = await new ConnectionResolver().ResolveAsync("file:" + path);

        Assert.Equal("Data Source=/secret/app.db", resolved);
    }

    [Fact]
    public async Task ResolveAsync_RelativeFileReference_StartsFromTheBaseDirectory()
    {
        await File.WriteAllTextAsync(_folder.File("target.conn"), "Data Source=/secret/target.db");

        string resolved = await new ConnectionResolver(_folder.Path).ResolveAsync("file:target.conn");

        Assert.Equal("Data Source=/secret/target.db", resolved);
    }

    [Fact]
    public async Task ResolveAsync_FileReferenceToAMissingFile_FailsNonRetriablyNamingThePath()
    {
        string path = _folder.File("absent.conn");

        var error = await Assert.ThrowsAsync<ConnectionResolutionException>(() => new ConnectionResolver().ResolveAsync("file:" + path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<INonRetriableException>(error);
    }

    [Fact]
    public async Task ResolveAsync_FileReferenceToAnEmptyFile_FailsNamingThePath()
    {
        string path = _folder.File("empty.conn");
        await File.WriteAllTextAsync(path, "  \n");

        var error = await Assert.ThrowsAsync<ConnectionResolutionException>(() => new ConnectionResolver().ResolveAsync("file:" + path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Data Source=/data/app.db")]
    [InlineData("Data Source=app.db;Mode=ReadOnly")]
    [InlineData("ENV:NOT_A_REFERENCE")]
    public async Task ResolveAsync_AnythingElse_IsTheLiteralItself(string literal)
    {
        Assert.Equal(literal, await new ConnectionResolver().ResolveAsync(literal));
    }
}
