using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using DurableMigration.Testing;

namespace DurableMigration.AzureStorage.Tests;

/// <summary>One real Azurite for every test class of the collection.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteServer? _server;

    /// <summary>Gets the connection string of Azurite's development account.</summary>
    public string ConnectionString => _server?.ConnectionString ?? throw new InvalidOperationException("Azurite is not started.");

    public async Task InitializeAsync() => _server = await AzuriteServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A table service client on Azurite whose requests pass through <paramref name="policy"/>, without the SDK's own retries.</summary>
    public TableServiceClient Service(HttpPipelinePolicy? policy = null)
    {
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 0;
        if (policy is not null)
        {
            options.AddPolicy(policy, HttpPipelinePosition.PerCall);
        }

        return new TableServiceClient(ConnectionString, options);
    }

    /// <summary>A table name no other test uses.</summary>
    public static string NewTableName() => "progress" + Guid.NewGuid().ToString("N")[..12];
}

/// <summary>The tests that share one Azurite.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}

/// <summary>Counts the entity writes that pass, and fails the first <see cref="FailWrites"/> of them as the service would.</summary>
public sealed class EntityWrites : HttpPipelineSynchronousPolicy
{
    private int _count;
    private int _failed;

    public int FailWrites { get; init; }

    /// <summary>Gets how many entity writes were sent (failed ones included).</summary>
    public int Count => Volatile.Read(ref _count);

    public override void OnSendingRequest(HttpMessage message)
    {
        // An upsert is a PUT to /<table>(PartitionKey='…',RowKey='…'); creating the table is a POST to /Tables.
        if (message.Request.Method == RequestMethod.Put && message.Request.Uri.Path.Contains("PartitionKey=", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _count);
            if (Interlocked.Increment(ref _failed) <= FailWrites)
            {
                throw new Azure.RequestFailedException(503, "injected: the table service is busy");
            }
        }
    }
}
