namespace WebFarm.Agent.Releases;

/// <summary>POST /api/agents/sync (Authorization: Bearer &lt;credential&gt;): what the agent holds, and what it could not install.</summary>
public sealed record SyncRequest(IReadOnlyList<TreeRef> Releases, IReadOnlyList<TreeRef> Content, IReadOnlyList<TreeFailure> Failures);
