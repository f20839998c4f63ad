using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Tcp;

namespace WebFarm.Balancer.Configuration;

/// <summary>The rules for TCP port rules: listeners with "Protocol": "Tcp" and the TCP farms they name (docs/tcp.md).</summary>
internal static partial class ConfigValidator
{
    private static void ValidateTcp(BalancerConfig config, Action<string, string> error)
    {
        var bound = new List<(TcpListenAddress Address, int Index)>();
        for (var i = 0; i < config.Listen.Count; i++)
        {
            var listener = config.Listen[i];
            var path = $"$.Listen[{i}]";
            if (listener.Protocol != TrafficProtocol.Tcp)
            {
                if (listener.Farm is not null)
                {
                    error(path + ".Farm", "only a TCP listener (\"Protocol\": \"Tcp\") names a farm; HTTP listeners send each request where Routes say");
                }

                if (listener.MaxConnections != 0)
                {
                    error(path + ".MaxConnections", "is a TCP listener setting (\"Protocol\": \"Tcp\")");
                }

                continue;
            }

            if (!TcpListenAddress.TryParse(listener.Url, out var address, out var why))
            {
                error(path + ".Url", why);
            }
            else
            {
                foreach (var (other, index) in bound)
                {
                    if (address.Overlaps(other))
                    {
                        error(path + ".Url", $"\"{listener.Url}\" shares a port with $.Listen[{index}] (\"{config.Listen[index].Url}\"): each port belongs to one listener");
                        break;
                    }
                }

                bound.Add((address, i));
            }

            if (listener.Farm is null)
            {
                error(path + ".Farm", $"is required for a TCP listener: the farm its connections go to (TCP farms: {TcpFarmNames(config)})");
            }
            else if (!config.Farms.TryGetValue(listener.Farm, out var farm))
            {
                error(path + ".Farm", $"unknown farm '{listener.Farm}' (TCP farms: {TcpFarmNames(config)})");
            }
            else if (farm.Protocol != TrafficProtocol.Tcp)
            {
                error(path + ".Farm", $"farm '{listener.Farm}' is an HTTP farm; a TCP listener needs a farm with \"Protocol\": \"Tcp\" and tcp://host:port servers");
            }

            if (listener.MaxConnections < 0)
            {
                error(path + ".MaxConnections", "must be 0 (unlimited) or more");
            }

            if (!config.UsesEpoll)
            {
                error(path + ".Protocol", "TCP listeners run on the epoll transport: they need 64-bit Linux and \"SocketEngine\" \"Auto\" or \"Epoll\"");
            }
        }

        foreach (var (name, farm) in config.Farms)
        {
            ValidateFarmProtocol(farm, "$.Farms." + name, error);
        }
    }

    private static void ValidateFarmProtocol(FarmOptions farm, string path, Action<string, string> error)
    {
        var tcp = farm.Protocol == TrafficProtocol.Tcp;
        for (var i = 0; i < farm.Servers.Count; i++)
        {
            if (ServerProtocolMismatch(farm, farm.Servers[i].Address) is { } reason)
            {
                error($"{path}.Servers[{i}].Address", reason);
            }
        }

        if (!tcp)
        {
            if (farm.ProxyProtocol != ProxyProtocolVersion.None)
            {
                error(path + ".ProxyProtocol", "is for TCP farms (\"Protocol\": \"Tcp\"); HTTP farms send the client's address in X-Forwarded-For");
            }

            return;
        }

        if (farm.LoadBalancing == LoadBalancingAlgorithm.Hash || farm.HashKey is not null)
        {
            error(path + ".LoadBalancing", "Hash reads a header, cookie, path or query of an HTTP request, which a TCP connection does not have: use ClientIp or ClientNetwork to keep a client on its server");
        }
        else if (farm.LoadBalancing == LoadBalancingAlgorithm.LeastResponseTime)
        {
            error(path + ".LoadBalancing", "LeastResponseTime needs HTTP response times, which a TCP connection does not have: use LeastRequests (the fewest open connections)");
        }

        if (farm.Affinity.Mode == AffinityMode.Cookie)
        {
            error(path + ".Affinity.Mode", "Cookie needs HTTP; a TCP farm keeps clients on their server by address: ClientIp (NLB \"Single\") or ClientNetwork (NLB \"Class C\")");
        }
    }

    /// <summary>
    /// Why <paramref name="address"/> cannot be a server of <paramref name="farm"/> (tcp:// in an HTTP farm or the
    /// reverse), or null. Also checked for servers added through the admin API.
    /// </summary>
    public static string? ServerProtocolMismatch(FarmOptions farm, string? address)
    {
        if (address is null || !Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            return null; // ValidateServer reports it
        }

        var tcp = farm.Protocol == TrafficProtocol.Tcp;
        if (tcp && uri.Scheme != "tcp")
        {
            return $"\"{address}\": servers of a TCP farm are tcp://host:port";
        }

        return !tcp && uri.Scheme == "tcp"
            ? $"\"{address}\" is a TCP server: set the farm's \"Protocol\": \"Tcp\" (and send it connections from a TCP listener)"
            : null;
    }

    /// <summary>Farms that take HTTP requests (only they are routed).</summary>
    private static int HttpFarmCount(BalancerConfig config)
    {
        var count = 0;
        foreach (var farm in config.Farms.Values)
        {
            if (farm.Protocol == TrafficProtocol.Http)
            {
                count++;
            }
        }

        return count;
    }

    private static string TcpFarmNames(BalancerConfig config)
    {
        var names = config.Farms.Where(f => f.Value.Protocol == TrafficProtocol.Tcp).Select(f => f.Key).ToList();
        return names.Count == 0 ? "none; give a farm \"Protocol\": \"Tcp\"" : string.Join(", ", names);
    }
}
