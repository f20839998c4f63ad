using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Caching;

/// <summary>
/// One origin and one balancer for a test class: "/" is cached with the defaults, "/ttl" with a 60 s default lifetime,
/// "/ignore" ignores utm_source, "/small" holds at most 4,000 bytes. Each test uses its own paths.
/// </summary>
public sealed class CacheFarmFixture : IAsyncLifetime
{
    public const int SmallMemory = 4000;

    public CacheOrigin Origin { get; private set; } = null!;

    public TestBalancer Balancer { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Origin = await CacheOrigin.StartAsync();
        var config = TestBalancer.SingleFarm(Origin.Backend) with
        {
            Routes =
            [
                new RouteOptions { Farm = "web", Cache = new CacheOptions { LockTimeout = TimeSpan.FromSeconds(60) } },
                new RouteOptions { Farm = "web", Path = "/ttl", Cache = new CacheOptions { DefaultLifetime = TimeSpan.FromSeconds(60) } },
                new RouteOptions { Farm = "web", Path = "/ignore", Cache = new CacheOptions { IgnoreQueryParameters = ["utm_source"] } },
                new RouteOptions { Farm = "web", Path = "/small", Cache = new CacheOptions { MaxMemory = SmallMemory, MaxEntrySize = 2000 } },
            ],
        };
        Balancer = await TestBalancer.StartAsync(config);
    }

    public async Task DisposeAsync()
    {
        await Balancer.DisposeAsync();
        await Origin.DisposeAsync();
    }

    /// <summary>Sends a request with "Name: value" header lines through the balancer.</summary>
    public Task<CacheAnswer> SendAsync(string path, HttpMethod? method = null, params string[] headers)
        => CacheAnswer.SendAsync(Balancer.Client, path, method, headers);
}
