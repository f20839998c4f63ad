using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace WebFarm.Controller.Rotation;

/// <summary>
/// The addresses the balancers connect to a server's apps from: what its instances' member library trusts for
/// X-Forwarded-* (WEBFARM_TRUSTED_PROXIES). For the in-process balancer that is the source address the kernel picks
/// for the route to the server (a UDP socket "connected" to it sends nothing and reports that address), which is not
/// the address the agent's heartbeats arrive on when the controller has one link per machine. For each external
/// balancer it is the address of its admin URL's host: the controller cannot see which of a balancer's addresses faces
/// the servers, so a balancer that reaches them from another one needs WEBFARM_TRUSTED_PROXIES in the app's environment.
/// Cached per server address (routes and balancers do not change under a running controller).
/// </summary>
public sealed class TrustedBalancerAddresses(bool inProcess, IReadOnlyList<BalancerEndpoint> external)
{
    private readonly ConcurrentDictionary<string, string> _byServer = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lazy<IReadOnlyList<string>> _external = new(() => Resolve(external));

    /// <param name="serverAddress">The server's address, like http://10.0.0.11 (its agent's --address).</param>
    /// <param name="heartbeatLocal">The controller's address on the heartbeat's connection: used when the route cannot be read.</param>
    /// <returns>A comma list, in-process balancer first, without repeats.</returns>
    public string For(string serverAddress, string heartbeatLocal)
    {
        if (_byServer.TryGetValue(serverAddress, out var known))
        {
            return known;
        }

        var source = inProcess ? SourceToward(serverAddress) : null;
        var addresses = new List<string>();
        if (inProcess)
        {
            addresses.Add(source ?? heartbeatLocal);
        }

        foreach (var address in _external.Value)
        {
            if (!addresses.Contains(address))
            {
                addresses.Add(address);
            }
        }

        var list = addresses.Count == 0 ? heartbeatLocal : string.Join(',', addresses);
        return inProcess && source is null ? list : _byServer.GetOrAdd(serverAddress, list); // An unreadable route is tried again next heartbeat.
    }

    /// <summary>The local address the kernel uses to reach the server's host; null when it cannot be told.</summary>
    public static string? SourceToward(string serverAddress)
    {
        if (!Uri.TryCreate(serverAddress, UriKind.Absolute, out var uri))
        {
            return null;
        }

        try
        {
            var target = IPAddress.TryParse(uri.IdnHost, out var ip) ? ip : Dns.GetHostAddresses(uri.IdnHost).FirstOrDefault();
            if (target is null)
            {
                return null;
            }

            using var probe = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(target, uri.Port > 0 ? uri.Port : 80));
            var local = ((IPEndPoint)probe.LocalEndPoint!).Address;
            return (local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local).ToString();
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private static List<string> Resolve(IReadOnlyList<BalancerEndpoint> balancers)
    {
        var addresses = new List<string>();
        foreach (var balancer in balancers)
        {
            var host = balancer.AdminUrl.IdnHost;
            IPAddress[] found;
            try
            {
                found = IPAddress.TryParse(host, out var ip) ? [ip] : Dns.GetHostAddresses(host);
            }
            catch (SocketException)
            {
                continue; // Not resolvable now: the app's own WEBFARM_TRUSTED_PROXIES must name it (documented).
            }

            foreach (var address in found)
            {
                var text = (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
                if (!addresses.Contains(text))
                {
                    addresses.Add(text);
                }
            }
        }

        return addresses;
    }
}
