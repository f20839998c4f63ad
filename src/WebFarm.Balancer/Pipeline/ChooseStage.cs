using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Pipeline;

/// <summary>
/// The first stage of the request pipeline: which server an attempt goes to. Affinity first (a bound client returns
/// to its server; in panic a binding to an unhealthy but online server stays valid), then the farm's candidates
/// (available primaries, else backups, in panic every online server) and its policy, skipping servers that already
/// failed this request; the client is then bound to the chosen server.
/// </summary>
internal static class ChooseStage
{
    /// <param name="lookup">The affinity lookup of the first attempt; later attempts read it to bind again.</param>
    public static ChoiceOutcome Choose<TClient>(
        TClient client,
        FarmRuntime farm,
        FarmView view,
        ILoadBalancingPolicy policy,
        int attempt,
        ref AffinityLookup lookup,
        ReadOnlySpan<ServerRuntime?> tried,
        EventStream events,
        out ServerRuntime? server)
        where TClient : IChoosingClient
    {
        server = null;
        var affinity = view.Affinity;
        if (attempt == 1 && affinity is not null)
        {
            lookup = affinity.Lookup(client, view.Servers);
            if (lookup.Outcome is AffinityOutcome.Redistribute or AffinityOutcome.Reject
                && lookup.Server is { State: ServerState.Online, Weight: > 0 } && farm.EvaluatePanic(view, events))
            {
                // In panic every online server takes traffic, healthy or not: the binding stays valid rather
                // than moving the client (and raising an event) on every request.
                lookup = new AffinityLookup(AffinityOutcome.Bound, lookup.Server);
            }

            if (lookup.Outcome == AffinityOutcome.Bound)
            {
                server = lookup.Server;
            }
            else if (lookup.Outcome == AffinityOutcome.Reject)
            {
                server = lookup.Server;
                return ChoiceOutcome.AffinityRejected;
            }
        }

        server ??= farm.Choose(view, tried, events, new AdapterChooser<TClient>(client, policy));
        if (server is null)
        {
            return ChoiceOutcome.NoServer;
        }

        if (affinity is not null && (attempt > 1 || lookup.Outcome != AffinityOutcome.Bound))
        {
            affinity.Bind(client, server, lookup);
            if (attempt == 1 && lookup.Outcome == AffinityOutcome.Redistribute)
            {
                events.Publish(farm.Name, server.Name, EventKind.AffinityRedistributed, $"client bound to {lookup.Server?.Name ?? "an unavailable server"} moved to {server.Name}");
            }
        }

        return ChoiceOutcome.Chosen;
    }
}
