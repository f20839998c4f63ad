using WebFarm.AspNetCore.Tests.Hosting;
using WebFarm.State.Hosting;

namespace WebFarm.AspNetCore.Tests.StateServer;

/// <summary>Two apps sharing the project's own <c>webfarm state</c> server (in-process, ephemeral port).</summary>
public sealed class TwoAppStateServerTests : TwoAppContract
{
    private State.Hosting.StateServer? _server;

    protected override async Task<Dictionary<string, string?>> StoreSettingsAsync()
    {
        _server ??= await State.Hosting.StateServer.StartAsync(new StateServerOptions { Port = 0 });
        return new()
        {
            ["WebFarm:Store"] = "Resp",
            ["WebFarm:StateEndpoints:0"] = $"127.0.0.1:{_server.Port}",
        };
    }


    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
