namespace WebFarm.Balancer.Routing;

/// <summary>
/// What route matching reads from a request: Kestrel's parsed request (<see cref="HttpRequestRouteView"/>) or the
/// HTTP/1.1 front end's raw head. A struct implements it, so matching stays free of allocations and boxing.
/// </summary>
internal interface IRouteRequest
{
    /// <summary>The host without its port ("[::1]" for an IPv6 literal).</summary>
    ReadOnlySpan<char> Host { get; }

    /// <summary>The decoded path.</summary>
    ReadOnlySpan<char> Path { get; }

    /// <summary>True when the request has exactly one <paramref name="name"/> header and its value is exactly <paramref name="value"/>.</summary>
    bool HasSingleHeader(string name, string value);
}
