using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Weighted rendezvous (highest random weight) hashing. Each (key, server) pair gets the score
/// -weight / ln(h) with h a uniform hash in (0, 1) of the key and the server name; the highest score wins.
/// Removing a server moves only the keys it owned, and a server's share of keys is proportional to its
/// weight. The score depends only on the key, the server's name and its weight, so every balancer (and
/// every restart) maps a key to the same server.
/// </summary>
internal static class RendezvousHash
{
    public static ServerRuntime? Choose(ulong keyHash, ReadOnlySpan<ServerRuntime> candidates)
    {
        ServerRuntime? best = null;
        var bestScore = double.NegativeInfinity;
        foreach (var server in candidates)
        {
            var weight = server.EffectiveWeight;
            if (!(weight > 0))
            {
                continue;
            }

            var h = StableHash.ToUnitInterval(StableHash.Combine(keyHash, StableHash.Hash(server.Name.AsSpan())));
            // ln(h) < 0 for h in (0,1), so the score is positive; larger weights give larger scores.
            var score = -weight / Math.Log(h);
            if (score > bestScore)
            {
                bestScore = score;
                best = server;
            }
        }

        return best;
    }
}
