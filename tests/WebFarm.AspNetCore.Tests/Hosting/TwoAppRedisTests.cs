using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Hosting;

/// <summary>Two apps sharing a real redis-server (the library must work against Redis, not only webfarm state).</summary>
public sealed class TwoAppRedisTests : TwoAppContract
{
    private RedisServer? _redis;

    protected override async Task<Dictionary<string, string?>> StoreSettingsAsync()
    {
        _redis ??= await RedisServer.StartAsync();
        return new()
        {
            ["WebFarm:Store"] = "Resp",
            ["WebFarm:StateEndpoints:0"] = _redis.EndPoint,
        };
    }


    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}
