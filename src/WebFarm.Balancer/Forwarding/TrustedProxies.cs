using System.Net;

namespace WebFarm.Balancer.Forwarding;

/// <summary>The networks whose X-Forwarded-* headers the balancer appends to instead of overwriting.</summary>
public sealed class TrustedProxies
{
    private readonly IPNetwork[] _networks;

    public TrustedProxies(IEnumerable<string> networks)
    {
        var list = new List<IPNetwork>();
        foreach (var text in networks)
        {
            if (!TryParseNetwork(text, out var network))
            {
                throw new FormatException($"\"{text}\" is not an IP address or network");
            }

            list.Add(network);
        }

        _networks = [.. list];
    }

    public bool IsEmpty => _networks.Length == 0;

    public bool Contains(IPAddress? address)
    {
        if (address is null || _networks.Length == 0)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in _networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    public static bool TryParseNetwork(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            // "10.0.0.1/8" is most likely a typo for "10.0.0.0/8" (or for a single address): refuse it rather than guess.
            return IPNetwork.TryParse(text.Trim(), out network)
                && IPAddress.TryParse(text.AsSpan(0, slash).Trim(), out var written)
                && network.BaseAddress.Equals(written);
        }

        if (IPAddress.TryParse(text.Trim(), out var ip))
        {
            network = new IPNetwork(ip, ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }
}
