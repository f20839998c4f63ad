namespace WebFarm.Agent.Control;

/// <summary>A `webfarm run` command for this server, in a heartbeat answer (until the agent reports its result).</summary>
/// <param name="Id">Unique per run and server: an agent runs each id once.</param>
/// <param name="Command">The program and its arguments (no shell).</param>
/// <param name="TimeoutSeconds">After this the process is killed and the result says so.</param>
public sealed record CommandRequest(string Id, IReadOnlyList<string> Command, double TimeoutSeconds);
