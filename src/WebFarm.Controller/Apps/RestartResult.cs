namespace WebFarm.Controller.Apps;

/// <summary>POST /api/apps/{name}/restart's answer: whether no server failed, and what happened on each.</summary>
public sealed record RestartResult(bool Completed, IReadOnlyList<RestartStep> Servers);
