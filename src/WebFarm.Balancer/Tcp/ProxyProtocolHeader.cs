using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Tcp;

/// <summary>
/// Writes the PROXY protocol header (haproxy.org/download/2.9/doc/proxy-protocol.txt) that tells a server the client's
/// address and the address the client connected to. Both versions carry TCP over IPv4 or IPv6; an IPv4-mapped IPv6
/// address (a dual-stack listener's IPv4 client) is written as IPv4.
/// </summary>
internal static class ProxyProtocolHeader
{
    /// <summary>Enough for either version: v1 is at most 107 bytes, v2 with IPv6 addresses 52.</summary>
    public const int MaxLength = 108;

    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>Writes the header into <paramref name="destination"/> (at least <see cref="MaxLength"/> bytes); returns its length.</summary>
    public static int Write(ProxyProtocolVersion version, IPEndPoint client, IPEndPoint local, Span<byte> destination)
    {
        var source = Normalize(client.Address);
        var target = Normalize(local.Address);
        if (source.AddressFamily != target.AddressFamily)
        {
            // Cannot happen on one socket; if it did, IPv6 for both keeps the header valid.
            source = source.MapToIPv6();
            target = target.MapToIPv6();
        }

        return version == ProxyProtocolVersion.V1
            ? WriteV1(source, target, client.Port, local.Port, destination)
            : WriteV2(source, target, client.Port, local.Port, destination);
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static int WriteV1(IPAddress source, IPAddress target, int sourcePort, int targetPort, Span<byte> destination)
    {
        var family = source.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6";
        var line = $"PROXY {family} {source} {target} {sourcePort} {targetPort}\r\n";
        return Encoding.ASCII.GetBytes(line, destination);
    }

    private static int WriteV2(IPAddress source, IPAddress target, int sourcePort, int targetPort, Span<byte> destination)
    {
        var ipv4 = source.AddressFamily == AddressFamily.InterNetwork;
        var addressLength = ipv4 ? 4 : 16;
        V2Signature.CopyTo(destination);
        destination[12] = 0x21; // version 2, command PROXY
        destination[13] = ipv4 ? (byte)0x11 : (byte)0x21; // TCP over IPv4 / IPv6
        var length = (2 * addressLength) + 4;
        BinaryPrimitives.WriteUInt16BigEndian(destination[14..], (ushort)length);
        var at = 16;
        source.TryWriteBytes(destination[at..], out _);
        at += addressLength;
        target.TryWriteBytes(destination[at..], out _);
        at += addressLength;
        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(at + 2)..], (ushort)targetPort);
        return 16 + length;
    }
}
