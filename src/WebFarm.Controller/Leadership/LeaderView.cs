namespace WebFarm.Controller.Leadership;

/// <summary>What a controller knows about the leadership at one moment (an immutable snapshot).</summary>
/// <param name="LeaderUrl">The leader's advertised API URL (this controller's own when it leads); null when there is none.</param>
/// <param name="Detail">Why, in words ("leading since ...", "standby: ... leads", "no leader: the store is unreachable ...").</param>
public sealed record LeaderView(bool IsLeader, string? LeaderUrl, string Detail);
