using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Compression;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Rewrite;

namespace WebFarm.Balancer.Routing;

/// <summary>
/// The routes of one configuration snapshot, sorted once from most to least specific so that matching a
/// request is a linear scan that stops at the first hit.
/// </summary>
internal sealed class RouteTable
{
    private readonly CompiledRoute[] _routes;

    private RouteTable(CompiledRoute[] routes) => _routes = routes;

    public int Count => _routes.Length;

    /// <param name="caches">Each route's response cache, index for index (<see cref="Caching.ResponseCaches.Rebuild"/>); null: none.</param>
    public static RouteTable Build(BalancerConfig config, IReadOnlyDictionary<string, FarmRuntime> farms, Caching.ResponseCache?[]? caches = null)
    {
        var list = new List<CompiledRoute>();
        if (config.Routes.Count == 0)
        {
            // A single farm without routes takes everything.
            foreach (var farm in farms.Values)
            {
                if (config.Farms.TryGetValue(farm.Name, out var options) && options.Protocol == TrafficProtocol.Tcp)
                {
                    continue; // TCP farms take connections from their listeners, never requests
                }

                list.Add(new CompiledRoute(0, null, null, null, farm, false, null) { Compression = CompressionPolicy.From(options?.Compression) });
            }
        }

        for (var i = 0; i < config.Routes.Count; i++)
        {
            var r = config.Routes[i];
            // The validator reported any error in the rules with its JSON path; a config that reaches here has none.
            var rewrite = RewriteRuleCompiler.Compile(r.Rewrite, $"$.Routes[{i}].Rewrite", static (path, reason) => throw new ConfigException([new ConfigError(null, path, reason)]));
            list.Add(new CompiledRoute(i, r.Host, r.Path, r.Headers, farms[r.Farm], r.StripPrefix, rewrite, caches?[i]) { Compression = CompressionPolicy.From(r.Compression ?? config.Farms.GetValueOrDefault(r.Farm)?.Compression) });
        }

        list.Sort(static (a, b) =>
        {
            var c = b.HostRank.CompareTo(a.HostRank);
            if (c == 0)
            {
                c = b.HostLength.CompareTo(a.HostLength);
            }

            if (c == 0)
            {
                c = (b.PathPrefix?.Length ?? 0).CompareTo(a.PathPrefix?.Length ?? 0);
            }

            if (c == 0)
            {
                c = b.HeaderCount.CompareTo(a.HeaderCount);
            }

            return c != 0 ? c : a.Index.CompareTo(b.Index);
        });
        return new RouteTable([.. list]);
    }

    public CompiledRoute? Match(HttpRequest request) => Match(new HttpRequestRouteView(request));

    public CompiledRoute? Match<TRequest>(in TRequest request)
        where TRequest : struct, IRouteRequest
    {
        foreach (var route in _routes)
        {
            if (route.Matches(request))
            {
                return route;
            }
        }

        return null;
    }
}
