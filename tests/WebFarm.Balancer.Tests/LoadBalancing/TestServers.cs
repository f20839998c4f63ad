using System.Net;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Tests.LoadBalancing;

/// <summary>Builds real ServerRuntime instances and request contexts for the (pure-logic) policy tests.</summary>
internal static class TestServers
{
    public static ServerRuntime[] Create(params int[] weights)
    {
        var servers = new ServerRuntime[weights.Length];
        for (var i = 0; i < weights.Length; i++)
        {
            servers[i] = new ServerRuntime("web", $"web{i + 1}", new Uri($"http://127.0.0.1:{5001 + i}/"), weights[i], backup: false);
        }

        return servers;
    }

    public static ServerRuntime Named(string name, int weight = 1)
        => new("web", name, new Uri("http://127.0.0.1:5000/"), weight, backup: false);

    /// <summary>
    /// A context whose hashable attributes (client IP, its /24 network, header, cookie, path, query) are all
    /// derived from <paramref name="i"/>, so every hash-based policy sees a distinct key per i.
    /// </summary>
    public static DefaultHttpContext ContextFor(int i)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]);
        context.Request.Path = $"/items/{i}";
        context.Request.QueryString = new QueryString($"?page=2&user=u{i}");
        context.Request.Headers["X-User"] = $"user-{i}";
        context.Request.Headers.Cookie = $"theme=dark; sid=s{i}";
        return context;
    }

    /// <summary>Like <see cref="ContextFor"/>, but each i is in its own /24 network (for ClientNetwork).</summary>
    public static DefaultHttpContext NetworkContextFor(int i)
    {
        var context = ContextFor(i);
        context.Connection.RemoteIpAddress = new IPAddress([(byte)(11 + (i >> 16)), (byte)(i >> 8), (byte)i, 77]);
        return context;
    }

    public static ILoadBalancingPolicy Policy(LoadBalancingAlgorithm algorithm)
        => LoadBalancingPolicyFactory.Create(algorithm, algorithm == LoadBalancingAlgorithm.Hash ? "header:X-User" : null);

    /// <summary>Makes <paramref name="picks"/> choices, each with a distinct context, and counts them per server.</summary>
    public static int[] Count(ILoadBalancingPolicy policy, LoadBalancingAlgorithm algorithm, ServerRuntime[] servers, int picks, int offset = 0)
    {
        var counts = new int[servers.Length];
        for (var i = 0; i < picks; i++)
        {
            var context = algorithm == LoadBalancingAlgorithm.ClientNetwork ? NetworkContextFor(offset + i) : ContextFor(offset + i);
            var chosen = policy.Choose(context, servers);
            Assert.NotNull(chosen);
            counts[Array.IndexOf(servers, chosen)]++;
        }

        return counts;
    }
}
