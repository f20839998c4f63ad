namespace WebFarm.Balancer.Configuration;

/// <summary>A rule sending matching requests to a farm. The most specific matching rule wins.</summary>
public sealed record RouteOptions
{
    /// <summary>"www.example.com" or "*.example.com"; null = any host.</summary>
    public string? Host { get; init; }

    /// <summary>Path prefix matched at segment boundaries ("/api" matches "/api" and "/api/x", not "/apix"); null = any.</summary>
    public string? Path { get; init; }

    /// <summary>Headers that must be present with exactly these values.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public required string Farm { get; init; }

    /// <summary>Remove <see cref="Path"/> from the forwarded path.</summary>
    public bool StripPrefix { get; init; }

    /// <summary>Response compression for this route, replacing the farm's whole; null: the farm's.</summary>
    public CompressionOptions? Compression { get; init; }

    /// <summary>URL rewrite rules evaluated in order (see <see cref="RewriteRuleOptions"/>); null = none.</summary>
    public IReadOnlyList<RewriteRuleOptions>? Rewrite { get; init; }

    /// <summary>The route's response cache; null = none.</summary>
    public CacheOptions? Cache { get; init; }
}
