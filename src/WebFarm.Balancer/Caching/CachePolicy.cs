using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Caching;

/// <summary>
/// RFC 9111's shared-cache rules in one place: which responses may be stored (3, 3.5), how long they stay fresh
/// (4.2.1, 4.2.2), how old they are (4.2.3), what a request's own directives ask (5.2.1), and whether a client's
/// conditional request is answered with 304 (RFC 9110 13.1.2, 13.1.3).
/// </summary>
internal static class CachePolicy
{
    /// <summary>
    /// Which statuses are stored: RFC 9110 15.1's heuristically cacheable ones without 206 (ranges are not cached; a
    /// request with Range goes upstream).
    /// </summary>
    public static bool IsCacheableStatus(int status)
        => status is 200 or 203 or 204 or 300 or 301 or 308 or 404 or 405 or 410 or 414 or 501;

    /// <summary>What the request's own directives ask of the cache (RFC 9111 5.2.1; Pragma: no-cache when Cache-Control is absent, 5.4).</summary>
    public static CacheControl RequestDirectives(IHeaderDictionary request)
    {
        var cacheControl = request.CacheControl;
        if (cacheControl.Count == 0)
        {
            return request.Pragma.ToString().Contains("no-cache", StringComparison.OrdinalIgnoreCase) ? new CacheControl { NoCache = true } : default;
        }

        return CacheControl.Parse(cacheControl);
    }

    /// <summary>
    /// Whether a response may be stored, and its freshness if so. Refused: an uncacheable status, Set-Cookie, no-store,
    /// private, Vary: *, a request with Authorization unless public / s-maxage / must-revalidate (RFC 9111 3.5), and a
    /// response that is neither fresh for a while nor revalidatable.
    /// </summary>
    public static bool IsStorable(int status, IHeaderDictionary response, bool requestHasAuthorization, CacheOptions options, DateTimeOffset now, out Freshness freshness)
    {
        freshness = default;
        if (!IsCacheableStatus(status) || response.ContainsKey(HeaderNames.SetCookie))
        {
            return false;
        }

        var cc = CacheControl.Parse(response.CacheControl);
        if (cc.NoStore || cc.Private)
        {
            return false;
        }

        if (response.Vary.ToString().Contains('*'))
        {
            return false;
        }

        if (requestHasAuthorization && !cc.Public && cc.SharedMaxAge is null && !cc.MustRevalidate)
        {
            return false;
        }

        var date = ParseDate(response.Date);
        var explicitLifetime = cc.SharedMaxAge ?? cc.MaxAge ?? ExpiresLifetime(response, date ?? now);
        long lifetime = explicitLifetime ?? (long)options.DefaultLifetime.TotalSeconds;
        var hasValidator = response.ContainsKey(HeaderNames.ETag) || response.ContainsKey(HeaderNames.LastModified);

        // Worth keeping: fresh for a while, or (no-cache, max-age=0) a copy the server can confirm with a 304.
        if (lifetime <= 0 && !(hasValidator && (explicitLifetime is not null || cc.NoCache)))
        {
            return false;
        }

        freshness = new Freshness(
            Math.Max(lifetime, 0),
            InitialAge(response, date, now),
            cc.NoCache,
            cc.MustRevalidate || cc.ProxyRevalidate || cc.SharedMaxAge is not null);
        return true;
    }

    /// <summary>The larger of the Age header and now − Date (RFC 9111 4.2.3; the request's own delay is under a second here).</summary>
    public static long InitialAge(IHeaderDictionary response, DateTimeOffset? date, DateTimeOffset now)
    {
        long ageValue = long.TryParse(response.Age.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var a) ? a : 0;
        var apparent = date is { } d ? Math.Max(0, (long)(now - d).TotalSeconds) : 0;
        return Math.Max(ageValue, apparent);
    }

    /// <summary>Whether the client's conditional request is satisfied by <paramref name="entry"/>: If-None-Match wins over If-Modified-Since.</summary>
    public static bool NotModified(IHeaderDictionary request, CachedResponse entry)
    {
        var ifNoneMatch = request.IfNoneMatch;
        if (ifNoneMatch.Count > 0)
        {
            var etag = entry.Header(HeaderNames.ETag);
            return etag is not null && ListMatchesETag(ifNoneMatch.ToString(), etag);
        }

        if (ParseDate(request.IfModifiedSince) is { } since)
        {
            var lastModified = ParseDate(entry.Header(HeaderNames.LastModified));
            return lastModified is { } modified && modified <= since;
        }

        return false;
    }

    /// <summary>Weak comparison (RFC 9110 8.8.3.2) of each entity-tag of an If-None-Match list, or "*".</summary>
    private static bool ListMatchesETag(string list, string etag)
    {
        var opaque = Opaque(etag.AsSpan());
        foreach (var range in list.AsSpan().Split(','))
        {
            var item = list.AsSpan()[range].Trim();
            if (item.SequenceEqual("*") || Opaque(item).SequenceEqual(opaque))
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<char> Opaque(ReadOnlySpan<char> tag) => tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;

    /// <summary>Expires − Date (RFC 9111 4.2.1; no Date: now); an Expires that is not a valid date means already expired.</summary>
    private static long? ExpiresLifetime(IHeaderDictionary response, DateTimeOffset date)
    {
        var expires = response.Expires;
        if (expires.Count == 0)
        {
            return null;
        }

        if (ParseDate(expires.ToString()) is not { } at)
        {
            return 0;
        }

        return Math.Max(0, (long)(at - date).TotalSeconds);
    }

    public static DateTimeOffset? ParseDate(string? value)
        => HeaderUtilities.TryParseDate(value, out var date) ? date : null;
}
