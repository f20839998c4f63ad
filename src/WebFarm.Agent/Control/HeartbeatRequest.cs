using WebFarm.Agent.Trace;

namespace WebFarm.Agent.Control;

/// <summary>POST /api/agents/heartbeat (Authorization: Bearer &lt;credential&gt;), once a second.</summary>
/// <param name="Load">The machine's load.</param>
/// <param name="Instances">Its app instances (null from agents that run none).</param>
/// <param name="AppsVersion">The version of the desired apps the agent runs (from an earlier answer), null at first.</param>
/// <param name="Trace">Trace messages the controller has not acknowledged yet, oldest first (a bounded batch).</param>
/// <param name="AllowCommands">Whether the agent was started with --allow-commands (`webfarm run`).</param>
/// <param name="CommandResults">The results of `webfarm run` commands finished since the last heartbeat.</param>
public sealed record HeartbeatRequest(ServerLoad Load, IReadOnlyList<InstanceReport>? Instances = null, string? AppsVersion = null, IReadOnlyList<TraceEntry>? Trace = null, bool AllowCommands = false, IReadOnlyList<CommandResult>? CommandResults = null);
