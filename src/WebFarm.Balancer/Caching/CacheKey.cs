using System.Text;
using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Caching;

/// <summary>
/// A response's primary cache key: the host as the client sent it (lower-cased, port included), the path and the query
/// without the route's ignored parameters ("example.com/a?x=1"). GET and HEAD share a key: a HEAD is answered from the
/// GET's copy. Parameters keep their order: "?a=1&amp;b=2" and "?b=2&amp;a=1" are different keys, as servers may read them differently.
/// </summary>
internal static class CacheKey
{
    public static string For(HttpRequest request, IReadOnlyList<string> ignoredParameters)
        => Build(request.Host.Value ?? string.Empty, request.PathBase.Value + request.Path.Value, request.QueryString.Value, ignoredParameters);

    /// <summary>The key of an absolute URL (the admin API's purge), by the same rules as a request's.</summary>
    public static string For(Uri url, IReadOnlyList<string> ignoredParameters)
        => Build(url.Authority, url.AbsolutePath, url.Query, ignoredParameters);

    public static string Build(string host, string path, string? query, IReadOnlyList<string> ignoredParameters)
    {
        var builder = new StringBuilder(host.Length + path.Length + (query?.Length ?? 0));
        builder.Append(host.ToLowerInvariant()).Append(path.Length == 0 ? "/" : path);
        if (string.IsNullOrEmpty(query) || query == "?")
        {
            return builder.ToString();
        }

        if (ignoredParameters.Count == 0)
        {
            return builder.Append(query).ToString();
        }

        var first = true;
        foreach (var range in query.AsSpan(1).Split('&'))
        {
            var pair = query.AsSpan(1)[range];
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            if (pair.IsEmpty || IsIgnored(name, ignoredParameters))
            {
                continue;
            }

            builder.Append(first ? '?' : '&').Append(pair);
            first = false;
        }

        return builder.ToString();
    }

    private static bool IsIgnored(ReadOnlySpan<char> name, IReadOnlyList<string> ignored)
    {
        for (var i = 0; i < ignored.Count; i++)
        {
            if (name.Equals(ignored[i], StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
