namespace WebFarm.Agent.Releases;

/// <summary>The controller's answer to a sync: the releases and content set versions this agent should hold.</summary>
public sealed record SyncResponse(IReadOnlyList<TreeRef> Releases, IReadOnlyList<TreeRef> Content);
