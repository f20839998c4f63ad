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

    /// <summary>Its labels (`--label`), from the store until its agent's heartbeats report them.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; set; } = ServerLabels.None;

    /// <summary>The labels, read under <see cref="Lock"/> (for callers that do not hold it).</summary>
    public IReadOnlyDictionary<string, string> CurrentLabels()
    {
        lock (Lock)
        {
            return Labels;
        }
    }

    public string Detail { get; set; } = "waiting for its first heartbeat";

    /// <summary>Its app instances as its agent last reported them.</summary>
    public IReadOnlyList<InstanceReport> Instances { get; set; } = [];

    /// <summary>The apps whose farm has this server in rotation (put there by the controller).</summary>
    public HashSet<string> InRotation { get; } = new(StringComparer.Ordinal);

    /// <summary>Apps a rolling restart holds out of rotation on this server until it brings them back itself.</summary>
    public HashSet<string> Held { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether its agent runs `webfarm run` commands (started with --allow-commands).</summary>
    public bool AllowCommands { get; set; }

    /// <summary>Set while a readiness loop probes the address; cancelled when the server is lost.</summary>
    public CancellationTokenSource? Readiness { get; set; }

    public AgentInfo ToInfo() => new(Name, Address, State, JoinedAt, HeartbeatSeen ? LastHeartbeat : null, Load, Detail, Labels);
}
