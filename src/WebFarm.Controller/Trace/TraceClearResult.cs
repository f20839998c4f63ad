namespace WebFarm.Controller.Trace;

/// <summary>DELETE /api/trace's answer: how many records were removed.</summary>
public sealed record TraceClearResult(int Cleared);
