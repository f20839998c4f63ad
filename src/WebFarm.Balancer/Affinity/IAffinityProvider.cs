using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Affinity;

/// <summary>
/// Sticky sessions for one farm. The forwarder asks it first; only an unbound (or redistributed)
/// request goes to the load-balancing policy, and the chosen server is then bound.
/// </summary>
public interface IAffinityProvider
{
    /// <summary>
    /// Finds the server this request is bound to among <paramref name="servers"/> (all servers of the farm,
    /// in config order). A tampered or unknown binding is ignored (returns <see cref="AffinityLookup.Unbound"/>).
    /// </summary>
    AffinityLookup Lookup(HttpContext context, IReadOnlyList<ServerRuntime> servers);

    /// <summary>Binds the request's client to <paramref name="server"/> (e.g. sets the affinity cookie).</summary>
    void Bind(HttpContext context, ServerRuntime server, AffinityLookup previous);
}
