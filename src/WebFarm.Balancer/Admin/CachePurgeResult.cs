namespace WebFarm.Balancer.Admin;

/// <summary>POST /api/cache/purge's answer: {"purged": n}.</summary>
public sealed record CachePurgeResult(int Purged);
