using WebFarm.Balancer.Routing;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>A request head the front end parsed, as route matching sees it.</summary>
internal readonly struct ClientRouteView(ClientRequestHead head) : IRouteRequest
{
    public ReadOnlySpan<char> Host => head.HostName;

    public ReadOnlySpan<char> Path => head.Path;

    public bool HasSingleHeader(string name, string value) => head.HasSingleHeader(name, value);
}
