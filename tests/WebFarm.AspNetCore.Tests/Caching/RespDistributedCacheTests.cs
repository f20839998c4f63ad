using System.Globalization;
using Microsoft.Extensions.Caching.Distributed;
using WebFarm.AspNetCore.Caching;
using WebFarm.AspNetCore.Resp;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Caching;

/// <summary>The RESP cache against a real redis-server, checked through redis-cli as well.</summary>
public sealed class RespDistributedCacheTests : DistributedCacheContract, IAsyncLifetime
{
    private const string Prefix = "app:";
    private RedisServer _redis = null!;
    private RespClient _client = null!;
    private RespDistributedCache _cache = null!;

    protected override IDistributedCache Cache => _cache;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        var options = new RespClientOptions();
        options.EndPoints.Add(_redis.EndPoint);
        _client = new RespClient(options);
        _cache = new RespDistributedCache(_client, Prefix);
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _redis.DisposeAsync();
    }

    protected override async Task<bool> ExistsWithoutTouchingAsync(string key) => await _redis.CliAsync("EXISTS", Prefix + key) == "1";

    [Fact]
    public async Task Entries_use_the_StackExchangeRedis_layout()
    {
        var before = DateTimeOffset.UtcNow;
        await _cache.SetAsync("layout", "payload"u8.ToArray(), new DistributedCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10),
            SlidingExpiration = TimeSpan.FromMinutes(2),
        });
        Assert.Equal("hash", await _redis.CliAsync("TYPE", "app:layout"));
        Assert.Equal("payload", await _redis.CliAsync("HGET", "app:layout", "data"));
        Assert.Equal(TimeSpan.FromMinutes(2).Ticks.ToString(CultureInfo.InvariantCulture), await _redis.CliAsync("HGET", "app:layout", "sldexp"));
        long absolute = long.Parse(await _redis.CliAsync("HGET", "app:layout", "absexp"), CultureInfo.InvariantCulture);
        Assert.InRange(absolute, before.AddMinutes(10).UtcTicks, DateTimeOffset.UtcNow.AddMinutes(10).UtcTicks);

        // TTL is the sliding window (shorter than the absolute expiry).
        Assert.InRange(long.Parse(await _redis.CliAsync("PTTL", "app:layout"), CultureInfo.InvariantCulture), 1, 120_000);

        await _cache.SetAsync("forever", [1], new DistributedCacheEntryOptions());
        Assert.Equal("-1", await _redis.CliAsync("HGET", "app:forever", "absexp"));
        Assert.Equal("-1", await _redis.CliAsync("HGET", "app:forever", "sldexp"));
        Assert.Equal("-1", await _redis.CliAsync("TTL", "app:forever"));
    }

    [Fact]
    public async Task Reads_entries_written_by_another_client_in_the_same_layout()
    {
        // Written by redis-cli exactly as Microsoft.Extensions.Caching.StackExchangeRedis would.
        await _redis.CliAsync("HSET", "app:foreign", "absexp", "-1", "sldexp", TimeSpan.FromSeconds(100).Ticks.ToString(CultureInfo.InvariantCulture), "data", "from-elsewhere");
        await _redis.CliAsync("EXPIRE", "app:foreign", "5");
        Assert.Equal("from-elsewhere", System.Text.Encoding.UTF8.GetString((await _cache.GetAsync("foreign"))!));

        // The read slid the expiry to the 100 s window.
        Assert.InRange(long.Parse(await _redis.CliAsync("PTTL", "app:foreign"), CultureInfo.InvariantCulture), 50_000, 100_000);
    }
}
