using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Rewrite;

namespace WebFarm.Balancer.Routing;

/// <summary>A route prepared for matching: lower-cased host parts, trimmed prefix, header pairs and its farm.</summary>
internal sealed class CompiledRoute
{
    private readonly string? _exactHost;
    private readonly string? _hostSuffix; // ".example.com" for "*.example.com"
    private readonly KeyValuePair<string, string>[] _headers;

    public CompiledRoute(int index, string? host, string? pathPrefix, IReadOnlyDictionary<string, string>? headers, FarmRuntime farm, bool stripPrefix, RewriteRules? rewrite, Caching.ResponseCache? cache = null)
    {
        Index = index;
        Cache = cache;
        if (host is not null)
        {
            if (host.StartsWith("*.", StringComparison.Ordinal))
            {
                _hostSuffix = host[1..].ToLowerInvariant();
            }
            else
            {
                _exactHost = host.ToLowerInvariant();
            }
        }

        // "/api/" and "/api" mean the same prefix; "/" means any path.
        PathPrefix = pathPrefix is null || pathPrefix == "/" ? null : pathPrefix.TrimEnd('/');
        _headers = headers is null ? [] : [.. headers];
        Farm = farm;
        StripPrefix = stripPrefix && PathPrefix is not null;
        Rewrite = rewrite;

        // Most specific wins: an exact host beats a wildcard (longer suffix first) beats any host; then the
        // longer path prefix; then more header conditions; then configuration order.
        HostRank = _exactHost is not null ? 2 : _hostSuffix is not null ? 1 : 0;
        HostLength = (_exactHost ?? _hostSuffix)?.Length ?? 0;
    }

    public int Index { get; }

    public string? PathPrefix { get; }

    public FarmRuntime Farm { get; }

    public bool StripPrefix { get; }

    /// <summary>The route's response compression (its own options, else its farm's); null = off.</summary>
    public Compression.CompressionPolicy? Compression { get; init; }

    /// <summary>The route's URL rewrite rules, compiled for this snapshot; null when it has none.</summary>
    public RewriteRules? Rewrite { get; }

    /// <summary>
    /// Edge features (compression, rewrite rules, a response cache) read or change the parsed request or the response, which only the
    /// Kestrel adapter exposes; the front end hands such requests over.
    /// </summary>
    public bool ServedByKestrel => Compression is not null || Rewrite is not null || Cache is not null;

    /// <summary>The route's response cache, or null.</summary>
    public Caching.ResponseCache? Cache { get; }

    public int HostRank { get; }

    public int HostLength { get; }

    public int HeaderCount => _headers.Length;

    public bool Matches<TRequest>(in TRequest request)
        where TRequest : struct, IRouteRequest
    {
        if (_exactHost is not null || _hostSuffix is not null)
        {
            var host = request.Host;
            if (_exactHost is not null)
            {
                if (!host.Equals(_exactHost, StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
            }
            else if (host.Length <= _hostSuffix!.Length || !host.EndsWith(_hostSuffix, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        if (PathPrefix is not null && !MatchesPrefix(request.Path, PathPrefix))
        {
            return false;
        }

        foreach (var (name, value) in _headers)
        {
            if (!request.HasSingleHeader(name, value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Prefix match at a segment boundary, case-insensitive like IIS/ARR.</summary>
    public static bool MatchesPrefix(ReadOnlySpan<char> path, string prefix)
    {
        if (!path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return path.Length == prefix.Length || path[prefix.Length] == '/';
    }
}
