using System.Net;
using System.Net.Sockets;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>Hashes a client address, or its network prefix, without allocating.</summary>
internal static class ClientAddressHash
{
    /// <summary>
    /// Hashes the first <paramref name="ipv4Bytes"/> bytes of an IPv4 address, or the first
    /// <paramref name="ipv6Bytes"/> bytes of an IPv6 one. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, which a
    /// dual-stack socket reports for IPv4 clients) are treated as the IPv4 address, so a client hashes the
    /// same whichever way the listener was bound.
    /// </summary>
    public static bool TryHash(IPAddress? address, int ipv4Bytes, int ipv6Bytes, out ulong hash)
    {
        hash = 0;
        if (address is null)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            return false;
        }

        scoped ReadOnlySpan<byte> key;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            key = bytes[..Math.Min(ipv4Bytes, written)];
        }
        else if (address.IsIPv4MappedToIPv6)
        {
            key = bytes.Slice(12, Math.Min(ipv4Bytes, 4));
        }
        else
        {
            key = bytes[..Math.Min(ipv6Bytes, written)];
        }

        // The length is part of the hash input through the separator, so a /24 prefix and a full
        // address with the same leading bytes do not collide by construction.
        hash = StableHash.Mix(StableHash.AppendSeparator(StableHash.Append(StableHash.Seed, key)));
        return true;
    }
}
