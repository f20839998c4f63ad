using System.Net;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Tcp;

/// <summary>A balancer with one TCP listener to the TCP farm "db" (servers s1..sN), for the Tcp/ tests.</summary>
internal static class TcpFarm
{
    public const string Farm = "db";

    public static BalancerConfig Config(IEnumerable<string> servers, Func<FarmOptions, FarmOptions>? configure = null, string listen = "127.0.0.1:0", int maxConnections = 0)
    {
        var list = new List<ServerOptions>();
        var i = 1;
        foreach (var address in servers)
        {
            list.Add(new ServerOptions { Name = "s" + i++, Address = address });
        }

        var farm = new FarmOptions { Protocol = TrafficProtocol.Tcp, Servers = list };
        farm = configure?.Invoke(farm) ?? farm;
        return new BalancerConfig
        {
            Listen = [new ListenEndpoint(listen) { Protocol = TrafficProtocol.Tcp, Farm = Farm, MaxConnections = maxConnections }],
            Farms = new Dictionary<string, FarmOptions> { [Farm] = farm },
        };
    }

    public static Task<TestBalancer> StartAsync(IEnumerable<TcpBackend> servers, Func<FarmOptions, FarmOptions>? configure = null, int maxConnections = 0)
        => TestBalancer.StartAsync(Config(servers.Select(s => s.Address), configure, maxConnections: maxConnections));

    /// <summary>The first port of the balancer's TCP listener.</summary>
    public static IPEndPoint EndPoint(this TestBalancer balancer) => balancer.Host.TcpEndPoints[0];

    /// <summary>The counters of the balancer's TCP listener.</summary>
    public static WebFarm.Balancer.Tcp.TcpListenerStatistics Listener(this TestBalancer balancer) => balancer.Runtime.TcpListeners[0];
}
