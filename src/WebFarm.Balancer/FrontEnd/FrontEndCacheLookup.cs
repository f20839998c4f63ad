using System.Text;
using WebFarm.Balancer.Caching;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// Whether the front end answers a request from its route's response cache itself: a GET or HEAD without a body for
/// which a fresh copy is stored that matches the request's Vary values, and which asks nothing of the cache that only
/// <see cref="ResponseCacheStage"/> handles. Anything else (a miss, a stale copy, a conditional request, the client's
/// own Cache-Control or Pragma, Authorization, Range) is Kestrel's path, where the cache's whole rule set runs.
/// </summary>
internal static class FrontEndCacheLookup
{
    /// <summary>Keys up to this many characters are written on the stack; longer ones (rare: long query strings) get an array.</summary>
    private const int StackKeyLength = 512;

    /// <summary>The fresh copy the front end answers <paramref name="head"/> with, and its age; null to hand the request to Kestrel.</summary>
    public static CachedResponse? Find(ClientRequestHead head, ResponseCache cache, FrontEndConnection connection, out long age)
    {
        age = 0;
        if (!(head.IsHead || head.Method.SequenceEqual("GET"u8)) || head.ContentLengthZero || AsksMoreThanAHit(head))
        {
            return null;
        }

        // The key as CacheKey makes it from Kestrel's request: the Host value (port included), the path, the query.
        var host = head.ValueChars(head.Field(head.HostField));
        var maxLength = CacheKey.MaxLength(host, head.Path, head.Query);
        Span<char> buffer = maxLength <= StackKeyLength ? stackalloc char[StackKeyLength] : new char[maxLength];
        var length = CacheKey.Write(host, head.Path, head.Query, cache.Options.IgnoreQueryParameters, buffer);
        var entry = cache.Find(buffer[..length], new ClientPolicyView(head, connection.RemoteAddress));
        if (entry is null)
        {
            return null;
        }

        age = entry.AgeSeconds(cache.Clock);
        return entry.IsFresh(age) && CachedHead.For(entry) is not null ? entry : null;
    }

    /// <summary>
    /// Request headers that make the answer more than "the stored copy": validators (a 304 or a precondition),
    /// Cache-Control and Pragma (the client's own freshness demands), Authorization (RFC 9111 3.5 decides per copy
    /// there), Range (ranges are relayed).
    /// </summary>
    private static bool AsksMoreThanAHit(ClientRequestHead head)
    {
        for (var i = 0; i < head.FieldCount; i++)
        {
            var name = head.Name(head.Field(i));
            if (name.Length >= 3 && (name[0] | 0x20) == 'i' && (name[1] | 0x20) == 'f' && name[2] == '-')
            {
                return true; // If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since, If-Range
            }

            if (Ascii.EqualsIgnoreCase(name, "Cache-Control"u8) || Ascii.EqualsIgnoreCase(name, "Pragma"u8)
                || Ascii.EqualsIgnoreCase(name, "Authorization"u8) || Ascii.EqualsIgnoreCase(name, "Range"u8))
            {
                return true;
            }
        }

        return false;
    }
}
