using DurableMigration.Testing;

namespace DurableMigration.Providers.Tests.Postgres;

/// <summary>The tests that share <see cref="PostgresClusters"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresClusters>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "postgres";
}
