namespace WebFarm.Controller.Trace;

/// <summary>One agent's trace message as the controller keeps it (GET /api/trace, `webfarm trace`).</summary>
/// <param name="Id">Increasing in the order the controller received them, across servers: `--follow` asks for what is after it.</param>
/// <param name="Sequence">The agent's own sequence.</param>
public sealed record TraceRecord(long Id, string Server, long Sequence, DateTimeOffset Time, string Source, string Message);
