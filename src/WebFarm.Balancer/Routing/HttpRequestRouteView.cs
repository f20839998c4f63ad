using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Routing;

/// <summary>A request Kestrel parsed, as route matching sees it.</summary>
internal readonly struct HttpRequestRouteView(HttpRequest request) : IRouteRequest
{
    public ReadOnlySpan<char> Host => request.Host.Host;

    public ReadOnlySpan<char> Path => request.Path.Value;

    public bool HasSingleHeader(string name, string value)
    {
        var actual = request.Headers[name];
        return actual.Count == 1 && string.Equals(actual[0], value, StringComparison.Ordinal);
    }
}
