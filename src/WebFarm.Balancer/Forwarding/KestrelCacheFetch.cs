using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Caching;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Routing;

namespace WebFarm.Balancer.Forwarding;

/// <summary>A cached route's request as <see cref="ResponseCacheStage"/> sees it: a struct, so a hit allocates no closure.</summary>
internal readonly struct KestrelCacheFetch(HttpForwarder forwarder, HttpContext context, RuntimeSnapshot snapshot, CompiledRoute route, FarmView view, string requestId, long start) : ICacheFetch
{
    public async ValueTask FetchAsync() => await forwarder.FetchForCacheAsync(context, snapshot, route, view, requestId, start).ConfigureAwait(false);

    public void LogAnswered() => forwarder.LogAccessBeforePipeline(context, snapshot, route.Farm, requestId, start);
}
