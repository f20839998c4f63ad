using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Caching;

/// <summary>
/// A response's primary cache key: the host as the client sent it (lower-cased, port included), the path and the query
/// without the route's ignored parameters ("example.com/a?x=1"). GET and HEAD share a key: a HEAD is answered from the
/// GET's copy. Parameters keep their order: "?a=1&amp;b=2" and "?b=2&amp;a=1" are different keys, as servers may read them differently.
/// One rule for every caller: Kestrel's request and the admin API's URLs get a string, the HTTP/1.1 front end writes the
/// key into a buffer of its own (<see cref="Write"/>) and looks it up without making a string per request.
/// </summary>
internal static class CacheKey
{
    public static string For(HttpRequest request, IReadOnlyList<string> ignoredParameters)
        => Build(request.Host.Value ?? string.Empty, request.PathBase.Value + request.Path.Value, request.QueryString.Value, ignoredParameters);

    /// <summary>The key of an absolute URL (the admin API's purge), by the same rules as a request's.</summary>
    public static string For(Uri url, IReadOnlyList<string> ignoredParameters)
        => Build(url.Authority, url.AbsolutePath, url.Query, ignoredParameters);

    /// <summary>The key of a host, a path and a query (with or without its leading '?').</summary>
    public static string Build(string host, string path, string? query, IReadOnlyList<string> ignoredParameters)
    {
        var q = query.AsSpan();
        var buffer = new char[MaxLength(host, path, q)];
        return new string(buffer, 0, Write(host, path, q, ignoredParameters, buffer));
    }

    /// <summary>The room <see cref="Write"/> needs at most.</summary>
    public static int MaxLength(ReadOnlySpan<char> host, ReadOnlySpan<char> path, ReadOnlySpan<char> query) => host.Length + Math.Max(path.Length, 1) + query.Length + 1;

    /// <summary>
    /// Writes the key into <paramref name="destination"/> (at least <see cref="MaxLength"/> long) and returns its length.
    /// <paramref name="query"/> may start with '?' (Kestrel's and Uri's form) or not (the front end's).
    /// </summary>
    public static int Write(ReadOnlySpan<char> host, ReadOnlySpan<char> path, ReadOnlySpan<char> query, IReadOnlyList<string> ignoredParameters, Span<char> destination)
    {
        var written = host.ToLowerInvariant(destination);
        if (path.IsEmpty)
        {
            destination[written++] = '/';
        }
        else
        {
            path.CopyTo(destination[written..]);
            written += path.Length;
        }

        if (query.StartsWith('?'))
        {
            query = query[1..];
        }

        if (query.IsEmpty)
        {
            return written;
        }

        if (ignoredParameters.Count == 0)
        {
            destination[written++] = '?';
            query.CopyTo(destination[written..]);
            return written + query.Length;
        }

        var first = true;
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            if (pair.IsEmpty || IsIgnored(name, ignoredParameters))
            {
                continue;
            }

            destination[written++] = first ? '?' : '&';
            pair.CopyTo(destination[written..]);
            written += pair.Length;
            first = false;
        }

        return written;
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
