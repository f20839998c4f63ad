namespace WebFarm.Controller.Commands;

/// <summary>POST /api/run's answer when not streamed: one result per server.</summary>
public sealed record RunResults(IReadOnlyList<RunResult> Results);
