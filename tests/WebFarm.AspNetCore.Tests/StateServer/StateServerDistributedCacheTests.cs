using Microsoft.Extensions.Caching.Distributed;
using WebFarm.AspNetCore.Caching;
using WebFarm.AspNetCore.Resp;
using WebFarm.AspNetCore.Tests.Caching;
using WebFarm.State.Hosting;

namespace WebFarm.AspNetCore.Tests.StateServer;

/// <summary>The cache contract against <c>webfarm state</c>.</summary>
public sealed class StateServerDistributedCacheTests : DistributedCacheContract, IAsyncLifetime
{
    private State.Hosting.StateServer _server = null!;
    private RespClient _client = null!;
    private RespDistributedCache _cache = null!;

    protected override IDistributedCache Cache => _cache;

    public async Task InitializeAsync()
    {
        _server = await State.Hosting.StateServer.StartAsync(new StateServerOptions { Port = 0 });
        var options = new RespClientOptions();
        options.EndPoints.Add($"127.0.0.1:{_server.Port}");
        _client = new RespClient(options);
        _cache = new RespDistributedCache(_client, "app:");
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    protected override async Task<bool> ExistsWithoutTouchingAsync(string key) =>
        (await _client.ExecuteAsync("EXISTS", "app:" + key)).Integer == 1;
}
