namespace WebFarm.AspNetCore.Tests.Infrastructure;

/// <summary>One <see cref="RedisCluster"/> shared by the tests of a class that only reads and writes keys (no kills, no reshards).</summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    internal RedisCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await RedisCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
