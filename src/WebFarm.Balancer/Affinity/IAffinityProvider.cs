using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Affinity;

/// <summary>
/// Sticky sessions for one farm. The request pipeline asks it first; only an unbound (or redistributed)
/// request goes to the load-balancing policy, and the chosen server is then bound. Generic over the client so that
/// Kestrel's request and the front end's raw head are read the same way without boxing
/// (<see cref="HttpContextAffinity"/> adapts an <see cref="Microsoft.AspNetCore.Http.HttpContext"/>).
/// </summary>
public interface IAffinityProvider
{
    /// <summary>
    /// Finds the server this request is bound to among <paramref name="servers"/> (all servers of the farm,
    /// in config order). A tampered or unknown binding is ignored (returns <see cref="AffinityLookup.Unbound"/>).
    /// </summary>
    AffinityLookup Lookup<TClient>(TClient client, IReadOnlyList<ServerRuntime> servers)
        where TClient : IAffinityClient;

    /// <summary>Binds the request's client to <paramref name="server"/> (e.g. sets the affinity cookie).</summary>
    void Bind<TClient>(TClient client, ServerRuntime server, AffinityLookup previous)
        where TClient : IAffinityClient;
}
