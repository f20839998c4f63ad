namespace WebFarm.Agent.Control;

/// <summary>`webfarm agent` options.</summary>
public sealed record ControlAgentOptions
{
    /// <summary>The controller, or a leader/standby pair in any order: the agent follows the leader.</summary>
    public required IReadOnlyList<Uri> Controllers { get; init; }

    /// <summary>The server's name in the farm.</summary>
    public required string Name { get; init; }

    /// <summary>The base URL the balancer forwards to.</summary>
    public required string Address { get; init; }

    /// <summary>Where the credential is kept (agent.json).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>A one-time join token; needed only for the first join.</summary>
    public string? JoinToken { get; init; }

    /// <summary>The server's labels (`--label role=web`), which apps placed with `--on` select; checked by <see cref="ServerLabels"/>.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = ServerLabels.None;

    /// <summary>Runs commands sent by `webfarm run` (off by default: an agent refuses them).</summary>
    public bool AllowCommands { get; init; }

    /// <summary>NLB's heartbeat period: 1 s.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>What a release or content set may hold on this server (refused before anything is fetched when over).</summary>
    public Releases.TreeLimits Limits { get; init; } = Releases.TreeLimits.Default;

    /// <summary>Per request; a heartbeat that takes longer is a missed one.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
