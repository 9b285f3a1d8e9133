using DurableMigration.Providers.Tests.Fixtures;
using Microsoft.DurableTask;

namespace DurableMigration.Providers.Tests;

public sealed class SqliteErrorTests : IDisposable
{
    private const string Marker = "Cache=Shared;Default Timeout=7";
    private readonly ProviderScenario _scenario = new();

    public void Dispose() => _scenario.Dispose();

    public static TheoryData<string> Operations => ["schema", "data", "readonly", "writable", "validate"];

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task MissingSource_FailsNonRetriably_WithoutTheConnectionString(string operation)
    {
        var endpoints = Endpoints();

        var error = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => RunAsync(operation, endpoints));

        Assert.IsAssignableFrom<INonRetriableException>(error);
        Assert.True(TaskFailureDetails.FromException(error).IsNonRetriable());
        AssertNoSecret(error, endpoints);
        Assert.Contains("social", error.Message, StringComparison.Ordinal);
        Assert.Contains("source.db", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task GarbageSource_FailsNonRetriably_WithoutTheConnectionString(string operation)
    {
        await File.WriteAllTextAsync(_scenario.SourcePath, new string('x', 8192));
        var endpoints = Endpoints();

        var error = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => RunAsync(operation, endpoints));

        AssertNoSecret(error, endpoints);
    }

    [Fact]
    public async Task MalformedConnectionString_FailsNonRetriably_WithoutEchoingIt()
    {
        var endpoints = new MigrationEndpoints("social", "Data Source=/x.db;Password=hunter2;NoSuchKeyword=1", Db.ConnectionString(_scenario.TargetPath), null);

        var error = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _scenario.Provider.CopySchemaAsync(endpoints));

        Assert.DoesNotContain("hunter2", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("NoSuchKeyword", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void MigrationEndpoints_ToString_ShowsNoConnection()
    {
        var endpoints = Endpoints();

        Assert.DoesNotContain("Data Source", endpoints.ToString(), StringComparison.Ordinal);
    }

    private MigrationEndpoints Endpoints() =>
        new("social", $"Data Source={_scenario.SourcePath};{Marker}", $"Data Source={_scenario.TargetPath};{Marker}", null);

    private Task RunAsync(string operation, MigrationEndpoints endpoints) => operation switch
    {
        "schema" => _scenario.Provider.CopySchemaAsync(endpoints),
        "data" => _scenario.Provider.CopyDataAsync(endpoints, new RecordingProgress()),
        "readonly" => _scenario.Provider.MakeSourceReadOnlyAsync(endpoints),
        "writable" => _scenario.Provider.MakeSourceWritableAsync(endpoints),
        "validate" => _scenario.Provider.ValidateAsync(endpoints, ProviderScenario.Everything),
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    private void AssertNoSecret(Exception error, MigrationEndpoints endpoints)
    {
        // ToString covers the message, inner exceptions and stack trace: everything TaskFailureDetails would carry.
        string everything = error.ToString();
        Assert.DoesNotContain(endpoints.SourceConnection, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(endpoints.TargetConnection, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(_scenario.SourcePath, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("Data Source", everything, StringComparison.Ordinal);
    }
}
