using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Hosting;

/// <summary>Two apps sharing a real PostgreSQL (the durable "SQL Server mode").</summary>
[Collection(PostgresCollection.Name)]
public sealed class TwoAppPostgresTests(PostgresServer postgres) : TwoAppContract
{
    protected override Task<Dictionary<string, string?>> StoreSettingsAsync() => Task.FromResult(new Dictionary<string, string?>
    {
        ["WebFarm:Store"] = "Postgres",
        ["WebFarm:PostgresConnectionString"] = postgres.ConnectionString,
    });

}
