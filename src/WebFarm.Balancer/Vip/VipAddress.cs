using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace WebFarm.Balancer.Vip;

/// <summary>A virtual address with the prefix length of its subnet, like 10.0.0.100/24 (an address, not a network: host bits are expected).</summary>
public readonly record struct VipAddress(IPAddress Address, int PrefixLength)
{
    public override string ToString() => Address + "/" + PrefixLength.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses "10.0.0.100/24"; the error says what is wrong with the text, for the caller to name the option.</summary>
    public static bool TryParse(string? text, out VipAddress vip, out string error)
    {
        vip = default;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "is empty; give an address with the prefix length of its subnet, like 10.0.0.100/24";
            return false;
        }

        // IPAddress.TryParse also takes "10.1" (as 10.0.0.1): an address here has its four parts, or is IPv6.
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var part = slash < 0 ? text.AsSpan() : text.AsSpan(0, slash);
        if (!IPAddress.TryParse(part, out var address) || (!part.Contains(':') && part.Count('.') != 3))
        {
            error = $"'{part}' is not an IP address";
            return false;
        }

        if (slash < 0)
        {
            error = $"has no prefix length; give the subnet's, like {text}/24 (keepalived would otherwise add it as a /32 host route)";
            return false;
        }

        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            error = "is IPv6; only IPv4 virtual addresses are supported (VRRPv2; IPv6 needs VRRPv3, not built yet)";
            return false;
        }

        if (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix is < 1 or > 32)
        {
            error = $"prefix length '{text[(slash + 1)..]}' is not a number from 1 to 32";
            return false;
        }

        var bytes = address.GetAddressBytes();
        if (bytes[0] == 0 || bytes[0] == 127 || bytes[0] >= 224)
        {
            error = $"{address} cannot be a virtual address (unspecified, loopback, multicast or reserved)";
            return false;
        }

        if (prefix <= 30)
        {
            var value = (uint)bytes[0] << 24 | (uint)bytes[1] << 16 | (uint)bytes[2] << 8 | bytes[3];
            var hostMask = uint.MaxValue >> prefix;
            if ((value & hostMask) == 0 || (value & hostMask) == hostMask)
            {
                error = $"{address} is the {((value & hostMask) == 0 ? "network" : "broadcast")} address of its /{prefix} subnet, not a host address";
                return false;
            }
        }

        vip = new VipAddress(address, prefix);
        error = string.Empty;
        return true;
    }
}
