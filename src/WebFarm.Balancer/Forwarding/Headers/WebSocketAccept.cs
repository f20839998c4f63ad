using System.Security.Cryptography;
using System.Text;

namespace WebFarm.Balancer.Forwarding.Headers;

/// <summary>
/// RFC 6455 4.2.2: a server accepting a WebSocket handshake answers the client's Sec-WebSocket-Key with
/// base64(SHA-1(key + GUID)). A 101 without it is not a WebSocket server speaking; the balancer opens no tunnel for it
/// (HAProxy answers 502 as well).
/// </summary>
internal static class WebSocketAccept
{
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Whether <paramref name="accept"/> is the answer to <paramref name="key"/>.</summary>
    public static bool Answers(string key, string? accept)
    {
        if (accept is null)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + Guid), hash);
        return accept.Trim() == Convert.ToBase64String(hash);
    }
}
