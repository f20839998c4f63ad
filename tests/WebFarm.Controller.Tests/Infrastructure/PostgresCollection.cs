namespace WebFarm.Controller.Tests.Infrastructure;

/// <summary>The tests that share one real PostgreSQL (<see cref="PostgresServer"/>, from WebFarm.Testing); each makes its own database.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
