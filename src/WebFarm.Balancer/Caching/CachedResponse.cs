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

    /// <summary>The request carries the same values for every header this response varies on.</summary>
    public bool MatchesVary(Microsoft.AspNetCore.Http.IHeaderDictionary request)
    {
        for (var i = 0; i < VaryNames.Length; i++)
        {
            var value = request.TryGetValue(VaryNames[i], out var v) ? v.ToString() : null;
            if (!string.Equals(value, VaryValues[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
