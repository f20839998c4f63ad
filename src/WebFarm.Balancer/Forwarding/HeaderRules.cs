using System.Buffers;

namespace WebFarm.Balancer.Forwarding;

/// <summary>Which headers a proxy must not forward, and which values are unsafe to forward.</summary>
internal static class HeaderRules
{
    // RFC 9110 token characters.
    private static readonly SearchValues<char> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private static readonly SearchValues<char> UnsafeValueChars = SearchValues.Create("\r\n\0");

    public static bool IsValidToken(string? s) => !string.IsNullOrEmpty(s) && !s.AsSpan().ContainsAnyExcept(TokenChars);

    public static bool IsValidHeaderName(string? s) => IsValidToken(s);

    /// <summary>CR, LF or NUL in a value could split headers downstream (response splitting); such values are dropped.</summary>
    public static bool HasUnsafeChars(string? value) => value is not null && value.AsSpan().ContainsAny(UnsafeValueChars);

    /// <summary>
    /// Hop-by-hop headers (RFC 9110 7.6.1) and headers the forwarder sets itself. TE is handled separately
    /// because "TE: trailers" must reach HTTP/2 servers (gRPC needs it).
    /// </summary>
    public static bool IsHopByHop(string name)
    {
        // Switch on length first: it rejects most names with one comparison.
        switch (name.Length)
        {
            case 2: return name.Equals("TE", StringComparison.OrdinalIgnoreCase);
            case 7: return name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase) || name.Equals("Trailer", StringComparison.OrdinalIgnoreCase);
            case 10: return name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase);
            case 17: return name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase);
            default:
                return name.Length > 6 && name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>True when <paramref name="name"/> appears in the Connection header's list (those are hop-by-hop too).</summary>
    public static bool IsListedIn(string? connection, string name)
    {
        if (string.IsNullOrEmpty(connection))
        {
            return false;
        }

        var span = connection.AsSpan();
        foreach (var range in span.Split(','))
        {
            if (span[range].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
