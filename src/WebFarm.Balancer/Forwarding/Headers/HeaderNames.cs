using System.Text;

namespace WebFarm.Balancer.Forwarding.Headers;

/// <summary>
/// Which header names a proxy treats specially, written once at the byte level: the raw paths (front end, direct
/// HTTP/1.1 path, response filters) call it with the bytes they hold, the Kestrel and SocketsHttpHandler paths with
/// their strings (copied to a stack buffer first: names are ASCII by the time either accepted them).
/// </summary>
internal static class HeaderNames
{
    /// <summary>Longer names are none of the special ones.</summary>
    private const int MaxSpecialLength = 32;

    /// <summary>
    /// What <paramref name="name"/> is to a proxy: the one list of hop-by-hop headers (RFC 9110 7.6.1, and HTTP2-Settings,
    /// RFC 7540 3.2.1, meaningful only with an h2c upgrade, which the balancer never forwards), framing, and the response
    /// headers the balancer writes itself when the server sent none. "TE: trailers" and a WebSocket's Upgrade are let
    /// through by the callers. One switch on the length, so the response parser classifies each line with one lookup
    /// while it parses (the writer of the client's head then needs no second pass).
    /// </summary>
    public static HeaderKind Classify(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 => Is(name, "TE"u8) ? HeaderKind.HopByHop : HeaderKind.Other,
        4 => Is(name, "Date"u8) ? HeaderKind.Date : HeaderKind.Other,
        7 => Is(name, "Upgrade"u8) || Is(name, "Trailer"u8) ? HeaderKind.HopByHop : ProxyOrOther(name),
        10 => Is(name, "Connection"u8) ? HeaderKind.Connection
            : Is(name, "Keep-Alive"u8) ? HeaderKind.HopByHop : ProxyOrOther(name),
        12 => Is(name, "X-Request-Id"u8) ? HeaderKind.RequestId : ProxyOrOther(name),
        14 => Is(name, "Content-Length"u8) ? HeaderKind.ContentLength
            : Is(name, "HTTP2-Settings"u8) ? HeaderKind.HopByHop : ProxyOrOther(name),
        17 => Is(name, "Transfer-Encoding"u8) ? HeaderKind.TransferEncoding : ProxyOrOther(name),
        25 => Is(name, "Strict-Transport-Security"u8) ? HeaderKind.StrictTransportSecurity : ProxyOrOther(name),
        _ => ProxyOrOther(name),
    };

    /// <summary>Hop-by-hop headers (see <see cref="Classify"/>).</summary>
    public static bool IsHopByHop(ReadOnlySpan<byte> name) => Classify(name) >= HeaderKind.Connection;

    public static bool IsHopByHop(string name) => WithBytes(name, static n => IsHopByHop(n));

    /// <summary>Hop-by-hop headers and Content-Length: what a response filter never copies (the framing is rewritten).</summary>
    public static bool IsHopByHopOrFraming(ReadOnlySpan<byte> name) => Classify(name) >= HeaderKind.ContentLength;

    /// <summary>
    /// Headers the balancer writes itself (Host, X-Forwarded-*, X-Request-Id, X-Original-Request-Id), so the client's
    /// are never copied; and, unless the client is a trusted proxy, X-Real-IP and Forwarded: claims about the client's
    /// address that only a trusted hop may make (an untrusted client's are dropped, as its X-Forwarded-For is replaced).
    /// </summary>
    public static bool IsSetByForwarder(ReadOnlySpan<byte> name, bool trustedClient) => name.Length switch
    {
        4 => Ascii.EqualsIgnoreCase(name, "Host"u8),
        9 => !trustedClient && (Ascii.EqualsIgnoreCase(name, "X-Real-IP"u8) || Ascii.EqualsIgnoreCase(name, "Forwarded"u8)),
        12 => Ascii.EqualsIgnoreCase(name, "X-Request-Id"u8),
        15 => Ascii.EqualsIgnoreCase(name, "X-Forwarded-For"u8),
        16 => Ascii.EqualsIgnoreCase(name, "X-Forwarded-Host"u8),
        17 => Ascii.EqualsIgnoreCase(name, "X-Forwarded-Proto"u8),
        21 => Ascii.EqualsIgnoreCase(name, "X-Original-Request-Id"u8),
        _ => false,
    };

    public static bool IsSetByForwarder(string name, bool trustedClient)
        => trustedClient ? WithBytes(name, static n => IsSetByForwarder(n, true)) : WithBytes(name, static n => IsSetByForwarder(n, false));

    /// <summary>True when the comma-separated <paramref name="list"/> holds <paramref name="token"/> (case-insensitive, OWS trimmed).</summary>
    public static bool ListContains(ReadOnlySpan<byte> list, ReadOnlySpan<byte> token)
    {
        foreach (var range in list.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(HeaderSyntax.TrimWhitespace(list[range]), token))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The string form of <see cref="ListContains(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.</summary>
    public static bool ListContains(string? list, string token)
    {
        if (string.IsNullOrEmpty(list))
        {
            return false;
        }

        var span = list.AsSpan();
        foreach (var range in span.Split(','))
        {
            if (span[range].Trim(" \t").Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The last item of a comma-separated list (OWS trimmed).</summary>
    public static ReadOnlySpan<byte> LastListItem(ReadOnlySpan<byte> list)
    {
        var comma = list.LastIndexOf((byte)',');
        return HeaderSyntax.TrimWhitespace(comma < 0 ? list : list[(comma + 1)..]);
    }

    /// <summary>Proxy-* (Proxy-Authenticate, Proxy-Authorization, Proxy-Connection...) is hop-by-hop whatever its length.</summary>
    private static HeaderKind ProxyOrOther(ReadOnlySpan<byte> name)
        => name.Length > 6 && Is(name[..6], "Proxy-"u8) ? HeaderKind.HopByHop : HeaderKind.Other;

    /// <summary>
    /// <paramref name="name"/> equals <paramref name="known"/> (same length), ignoring case. The first byte, folded to
    /// lower case, is compared inline first: most names a response holds (Server, Content-Type, Last-Modified, ETag...)
    /// share a length with a special name but not its first letter, and are told apart without the library call.
    /// </summary>
    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> known)
        => (name[0] | 0x20) == (known[0] | 0x20) && Ascii.EqualsIgnoreCase(name, known);

    private delegate bool ByteRule(ReadOnlySpan<byte> name);

    /// <summary>
    /// Runs a byte rule on a string name: ASCII copied to the stack, no allocation. A longer name is cut to
    /// <see cref="MaxSpecialLength"/>: it matches none of the fixed names either way, and keeps its prefix (Proxy-*).
    /// Anything not ASCII matches no rule.
    /// </summary>
    private static bool WithBytes(string name, ByteRule rule)
    {
        Span<byte> bytes = stackalloc byte[MaxSpecialLength];
        var chars = name.AsSpan(0, Math.Min(name.Length, MaxSpecialLength));
        return Ascii.FromUtf16(chars, bytes, out var written) == System.Buffers.OperationStatus.Done && rule(bytes[..written]);
    }
}
