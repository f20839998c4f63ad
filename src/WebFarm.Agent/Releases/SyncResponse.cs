namespace WebFarm.Agent.Releases;

/// <summary>
/// The controller's answer to a sync: the releases and content set versions this agent should hold, and every release
/// the controller still keeps (<see cref="Keep"/>): an installed release in neither list is deleted from the agent
/// (null, from a controller that does not send it: nothing is deleted).
/// </summary>
public sealed record SyncResponse(IReadOnlyList<TreeRef> Releases, IReadOnlyList<TreeRef> Content, IReadOnlyList<TreeRef>? Keep = null);
