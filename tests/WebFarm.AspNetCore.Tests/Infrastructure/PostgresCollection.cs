namespace WebFarm.AspNetCore.Tests.Infrastructure;

/// <summary>The tests that share one real PostgreSQL (<see cref="PostgresServer"/>, from WebFarm.Testing).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
