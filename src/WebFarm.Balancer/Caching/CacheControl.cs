using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace WebFarm.Balancer.Caching;

/// <summary>
/// The Cache-Control directives a shared cache acts on (RFC 9111 5.2), parsed from every Cache-Control line of a
/// request or a response. A qualified <c>no-cache="..."</c> or <c>private="..."</c> is treated like the unqualified
/// directive: dropping only the named fields would be allowed, refusing the whole response is the safe reading.
/// </summary>
internal readonly record struct CacheControl
{
    public bool NoStore { get; init; }

    public bool NoCache { get; init; }

    public bool Private { get; init; }

    public bool Public { get; init; }

    public bool MustRevalidate { get; init; }

    public bool ProxyRevalidate { get; init; }

    /// <summary>Seconds, or null when absent. A value that is not a number counts as 0 (RFC 9111 4.2.1: stale).</summary>
    public int? MaxAge { get; init; }

    public int? SharedMaxAge { get; init; }

    public static CacheControl Parse(StringValues lines)
    {
        var result = default(CacheControl);
        foreach (var line in lines)
        {
            if (line is null)
            {
                continue;
            }

            foreach (var range in line.AsSpan().Split(','))
            {
                var item = line.AsSpan()[range].Trim();
                if (item.IsEmpty)
                {
                    continue;
                }

                var equals = item.IndexOf('=');
                var name = (equals < 0 ? item : item[..equals]).Trim();
                var value = equals < 0 ? default : item[(equals + 1)..].Trim().Trim('"');
                result = Apply(result, name, value, equals >= 0);
            }
        }

        return result;
    }

    private static CacheControl Apply(CacheControl c, ReadOnlySpan<char> name, ReadOnlySpan<char> value, bool hasValue)
    {
        if (name.Equals("no-store", StringComparison.OrdinalIgnoreCase))
        {
            return c with { NoStore = true };
        }

        if (name.Equals("no-cache", StringComparison.OrdinalIgnoreCase))
        {
            return c with { NoCache = true };
        }

        if (name.Equals("private", StringComparison.OrdinalIgnoreCase))
        {
            return c with { Private = true };
        }

        if (name.Equals("public", StringComparison.OrdinalIgnoreCase))
        {
            return c with { Public = true };
        }

        if (name.Equals("must-revalidate", StringComparison.OrdinalIgnoreCase))
        {
            return c with { MustRevalidate = true };
        }

        if (name.Equals("proxy-revalidate", StringComparison.OrdinalIgnoreCase))
        {
            return c with { ProxyRevalidate = true };
        }

        if (name.Equals("max-age", StringComparison.OrdinalIgnoreCase))
        {
            return c with { MaxAge = Seconds(value, hasValue) };
        }

        if (name.Equals("s-maxage", StringComparison.OrdinalIgnoreCase))
        {
            return c with { SharedMaxAge = Seconds(value, hasValue) };
        }

        return c;
    }

    /// <summary>Delta-seconds (RFC 9111 1.2.2): too large saturates, anything else that is not a number is 0.</summary>
    private static int Seconds(ReadOnlySpan<char> value, bool hasValue)
    {
        if (!hasValue || value.IsEmpty)
        {
            return 0;
        }

        foreach (var ch in value)
        {
            if (!char.IsAsciiDigit(ch))
            {
                return 0;
            }
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds : int.MaxValue;
    }
}
