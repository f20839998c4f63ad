using System.Net;

namespace WebFarm.AspNetCore.Forwarding;

/// <summary>Parses one trusted-proxy entry: a single IP address or a CIDR network.</summary>
internal static class TrustedProxy
{
    /// <summary>Parses <c>10.0.0.5</c> (as a /32 or /128 network) or <c>10.0.0.0/8</c>.</summary>
    public static bool TryParse(string? text, out IPNetwork network)
    {
        network = default;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text.Contains('/'))
        {
            return IPNetwork.TryParse(text, out network);
        }

        if (!IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }
}
