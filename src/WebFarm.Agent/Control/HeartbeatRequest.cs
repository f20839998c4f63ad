using WebFarm.Agent.Trace;

namespace WebFarm.Agent.Control;

/// <summary>POST /api/agents/heartbeat (Authorization: Bearer &lt;credential&gt;), once a second.</summary>
/// <param name="Load">The machine's load.</param>
/// <param name="Instances">Its app instances (null from agents that run none).</param>
/// <param name="AppsVersion">The version of the desired apps the agent runs (from an earlier answer), null at first.</param>
/// <param name="Trace">Trace messages the controller has not acknowledged yet, oldest first (a bounded batch).</param>
/// <param name="AllowCommands">Whether the agent was started with --allow-commands (`webfarm run`).</param>
/// <param name="CommandResults">The results of `webfarm run` commands finished since the last heartbeat.</param>
/// <param name="CommandOutput">Lines `webfarm run` commands printed since the last heartbeat, in order (a bounded
/// batch); a command's result is sent only once all its lines have been.</param>
/// <param name="Labels">The server's labels (`--label k=v`), with every heartbeat so an agent restarted with other
/// labels changes them; null from agents without labels.</param>
public sealed record HeartbeatRequest(ServerLoad Load, IReadOnlyList<InstanceReport>? Instances = null, string? AppsVersion = null, IReadOnlyList<TraceEntry>? Trace = null, bool AllowCommands = false, IReadOnlyList<CommandResult>? CommandResults = null, IReadOnlyDictionary<string, string>? Labels = null, IReadOnlyList<CommandOutput>? CommandOutput = null);
