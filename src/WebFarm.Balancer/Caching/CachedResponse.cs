using Microsoft.Extensions.Primitives;

namespace WebFarm.Balancer.Caching;

/// <summary>
/// One stored response (immutable: a revalidation stores a new one). Its age follows RFC 9111 4.2.3: the age it had
/// when it arrived (the larger of its Age header and now − Date) plus the time it has been resident since.
/// </summary>
internal sealed class CachedResponse
{
    /// <summary>Per entry beyond its bytes: the object, its header array and its LRU node (measured roughly: 300-400 B).</summary>
    private const int Overhead = 400;

    public CachedResponse(string key, int status, KeyValuePair<string, StringValues>[] headers, byte[] body, Freshness freshness, long storedAt, string[] varyNames, string?[] varyValues)
    {
        Key = key;
        Status = status;
        Headers = headers;
        Body = body;
        Freshness = freshness;
        StoredAt = storedAt;
        VaryNames = varyNames;
        VaryValues = varyValues;
        var size = (long)Overhead + body.Length + (key.Length * 2);
        foreach (var (name, values) in headers)
        {
            size += name.Length * 2;
            foreach (var value in values)
            {
                size += (value?.Length ?? 0) * 2;
            }
        }

        Size = size;
    }

    /// <summary>The primary key: host, path and query as the route's cache normalises them.</summary>
    public string Key { get; }

    public int Status { get; }

    /// <summary>The response's headers as stored (no Content-Length, Age, X-Cache or X-Request-Id: each hit sets its own).</summary>
    public KeyValuePair<string, StringValues>[] Headers { get; }

    public byte[] Body { get; }

    public Freshness Freshness { get; }

    /// <summary>When it was stored (<see cref="TimeProvider.GetTimestamp"/> of the cache's clock).</summary>
    public long StoredAt { get; }

    /// <summary>The request headers its Vary names and the values the request that fetched it had (null: absent).</summary>
    public string[] VaryNames { get; }

    public string?[] VaryValues { get; }

    /// <summary>Bytes accounted against the route's <c>MaxMemory</c>.</summary>
    public long Size { get; }

    /// <summary>Its place in the cache's least-recently-used list (guarded by the cache's lock).</summary>
    internal LinkedListNode<CachedResponse>? Node { get; set; }

    public string? Header(string name)
    {
        foreach (var (n, v) in Headers)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                return v.ToString();
            }
        }

        return null;
    }

    /// <summary>Current age in whole seconds.</summary>
    public long AgeSeconds(TimeProvider clock) => Freshness.InitialAgeSeconds + (long)clock.GetElapsedTime(StoredAt).TotalSeconds;

    /// <summary>Usable without asking the server: within its lifetime and not marked no-cache.</summary>
    public bool IsFresh(long age) => !Freshness.AlwaysRevalidate && age < Freshness.LifetimeSeconds;

    /// <summary>Whether it may stand in when no server can answer: stale by at most <paramref name="window"/>, and its server allowed it.</summary>
    public bool CanServeStale(long age, TimeSpan window)
        => !Freshness.MustRevalidate && window > TimeSpan.Zero && age - Freshness.LifetimeSeconds <= (long)window.TotalSeconds;

    /// <summary>
    /// The request carries the same values for every header this response varies on. Several lines of one header compare
    /// as Kestrel joins them ("a,b"), the form <see cref="VaryValues"/> were recorded in.
    /// </summary>
    public bool MatchesVary<TRequest>(TRequest request)
        where TRequest : struct, LoadBalancing.IPolicyRequest
        => VaryMatches(VaryNames, VaryValues, request);

    /// <summary>The rule of <see cref="MatchesVary"/> for Vary names and values kept apart from an entry (the disk tier's index).</summary>
    public static bool VaryMatches<TRequest>(string[] varyNames, string?[] varyValues, TRequest request)
        where TRequest : struct, LoadBalancing.IPolicyRequest
    {
        for (var i = 0; i < varyNames.Length; i++)
        {
            var count = request.HeaderCount(varyNames[i]);
            var expected = varyValues[i];
            if (count == 0 || expected is null)
            {
                if (count != 0 || expected is not null)
                {
                    return false;
                }

                continue;
            }

            var rest = expected.AsSpan();
            for (var line = 0; line < count; line++)
            {
                if (line > 0)
                {
                    if (rest.IsEmpty || rest[0] != ',')
                    {
                        return false;
                    }

                    rest = rest[1..];
                }

                var value = request.Header(varyNames[i], line);
                if (!rest.StartsWith(value, StringComparison.Ordinal))
                {
                    return false;
                }

                rest = rest[value.Length..];
            }

            if (!rest.IsEmpty)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The head the HTTP/1.1 front end writes for a hit (<see cref="FrontEnd.CachedHead"/>), made by it on first use; a
    /// benign race at worst makes it twice. Immutable like the rest of the entry.
    /// </summary>
    internal FrontEnd.CachedHead? RenderedHead { get; set; }
}
