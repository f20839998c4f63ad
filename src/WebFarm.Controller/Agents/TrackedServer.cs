using WebFarm.Agent.Control;

namespace WebFarm.Controller.Agents;

/// <summary>A joined server's live state in the controller; fields are read and changed under <see cref="Lock"/>.</summary>
internal sealed class TrackedServer(string name, string address, DateTimeOffset joinedAt, DateTimeOffset lastHeartbeat)
{
    public Lock Lock { get; } = new();

    public string Name { get; } = name;

    public string Address { get; } = address;

    public DateTimeOffset JoinedAt { get; } = joinedAt;

    public AgentState State { get; set; } = AgentState.Joined;

    /// <summary>When the last heartbeat arrived (or, before the first one, when tracking started).</summary>
    public DateTimeOffset LastHeartbeat { get; set; } = lastHeartbeat;

    public bool HeartbeatSeen { get; set; }

    public ServerLoad? Load { get; set; }

    public string Detail { get; set; } = "waiting for its first heartbeat";

    /// <summary>Set while a readiness loop probes the address; cancelled when the server is lost.</summary>
    public CancellationTokenSource? Readiness { get; set; }

    public AgentInfo ToInfo() => new(Name, Address, State, JoinedAt, HeartbeatSeen ? LastHeartbeat : null, Load, Detail);
}
