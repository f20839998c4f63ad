using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Routing;

namespace WebFarm.Balancer.Pipeline;

/// <summary>
/// The one place that decides which client adapter and which upstream attempt serve a request (the front end's
/// head-level checks, what its strict parser takes, stay with <see cref="FrontEnd.ClientRequestHead"/>):
/// <list type="bullet">
/// <item>the front end serves a request whose farm the direct HTTP/1.1 path serves whole and whose policy ignores the
/// request or reads it through <see cref="IPolicyRequest"/> (every built-in policy); anything else is handed to
/// Kestrel;</item>
/// <item>an attempt takes the direct HTTP/1.1 path when the request has no body and is no upgrade, the farm is
/// HTTP/1.1 with <c>DirectHttp1</c> on and the server is <c>http://</c>; otherwise SocketsHttpHandler.</item>
/// </list>
/// Affinity (cookie or client address), active and passive health and the access log do not matter here: the pipeline
/// runs them the same way for both adapters.
/// </summary>
internal static class ServingDecision
{
    /// <summary>
    /// Whether the front end serves requests routed to <paramref name="route"/> and <paramref name="view"/> under
    /// <paramref name="config"/>. A route with edge features (<see cref="CompiledRoute.ServedByKestrel"/>) is Kestrel's.
    /// </summary>
    public static bool FrontEndServes(BalancerConfig config, CompiledRoute route, FarmView view)
        => config.Http1FrontEnd && !route.ServedByKestrel && DirectFarm(view) && view.AllServersCleartext && view.Policy is IRequestIndependentPolicy or IRequestReadingPolicy;

    /// <summary>
    /// Whether the front end may answer hits of <paramref name="route"/>'s response cache itself: the cache is its only
    /// edge feature (compression and rewrite rules change the request or the response on Kestrel's path). The farm does
    /// not matter: a hit goes to no server, and anything else on the route is handed to Kestrel.
    /// </summary>
    public static bool FrontEndAnswersFromCache(BalancerConfig config, CompiledRoute route)
        => config.Http1FrontEnd && route.Cache is not null && route.Compression is null && route.Rewrite is null;

    /// <summary>Whether an attempt on <paramref name="server"/> takes the direct HTTP/1.1 path.</summary>
    public static bool UsesDirectPath(FarmView view, ServerRuntime server, bool hasBody, bool isUpgrade)
        => !hasBody && !isUpgrade && DirectFarm(view) && server.Address.Scheme == Uri.UriSchemeHttp;

    /// <summary>Whether "OPTIONS *" can go out: only the direct path writes the asterisk form (HttpClient cannot).</summary>
    public static bool CanSendAsteriskForm(FarmView view, bool hasBody)
        => !hasBody && DirectFarm(view) && view.AllServersCleartext;

    private static bool DirectFarm(FarmView view) => view.Transport.IsHttp11 && view.Options.DirectHttp1;
}
