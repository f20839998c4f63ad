namespace WebFarm.Controller.Hosting;

/// <summary>`webfarm controller` options.</summary>
public sealed record ControllerOptions
{
    public const string DefaultListen = "http://127.0.0.1:8070";

    /// <summary>The controller API (agents and the CLI).</summary>
    public string Listen { get; init; } = DefaultListen;

    /// <summary>Holds the embedded store (controller.db) when <see cref="Store"/> is not set.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>
    /// null: the embedded SQLite store in <see cref="DataDirectory"/> (this controller always leads). A
    /// postgres://user:password@host:5432/database URL: the shared store of a leader/standby pair.
    /// </summary>
    public string? Store { get; init; }

    /// <summary>
    /// The API URL a leader advertises to its standby (which hands it to agents and the CLI); default the bound
    /// <see cref="Listen"/> URL, required when that listens on every address.
    /// </summary>
    public string? Advertise { get; init; }

    /// <summary>How often a standby tries the leader lock and a leader confirms it still holds it.</summary>
    public TimeSpan LeaderCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Bearer token for the operator API; required when <see cref="Listen"/> is not loopback.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// The in-process balancer's client-facing listener; null: no in-process balancer serves (only with
    /// <see cref="Balancers"/>: the controller then drives those alone).
    /// </summary>
    public string? BalancerListen { get; init; } = "http://127.0.0.1:8080";

    /// <summary>External `webfarm balancer`s driven through their admin API (`--balancer URL --balancer-token TOKEN`).</summary>
    public IReadOnlyList<WebFarm.Controller.Rotation.BalancerEndpoint> Balancers { get; init; } = [];

    /// <summary>The longest an external balancer that came back (or was changed by hand) waits to be reconciled.</summary>
    public TimeSpan BalancerSyncInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The in-process balancer's admin API (for `webfarm servers`); null = disabled.</summary>
    public string? BalancerAdmin { get; init; }

    /// <summary>The one farm joined servers are added to.</summary>
    public string FarmName { get; init; } = "web";

    /// <summary>What a server's address must answer (200-399) before it takes traffic, and while it does.</summary>
    public string HealthPath { get; init; } = "/";

    /// <summary>The algorithm of every app's farm in the balancers (`webfarm up`: LeastRequests, as its farm always had).</summary>
    public WebFarm.Balancer.LoadBalancing.LoadBalancingAlgorithm AppLoadBalancing { get; init; } = WebFarm.Balancer.LoadBalancing.LoadBalancingAlgorithm.RoundRobin;

    /// <summary>The state service apps' instances use (WEBFARM_STATE_ENDPOINT, host:port); null leaves it to each app's environment.</summary>
    public string? StateEndpoint { get; init; }

    /// <summary>The agents' heartbeat period (NLB: 1 s).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Heartbeats missed in a row before a server is lost (NLB: 5).</summary>
    public int MissedHeartbeats { get; init; } = 5;

    /// <summary>How often load-driven weights (apps with `loadBalancing: reported`) are updated from the measured load.</summary>
    public TimeSpan LoadWeightInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often availability samples the farm: downtime intervals are exact to about this.</summary>
    public TimeSpan AvailabilitySampleInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Releases kept per app (and versions per content set); the blobs only older ones used are removed.</summary>
    public int KeepReleases { get; init; } = 5;

    /// <summary>What an uploaded release or content set may hold.</summary>
    public WebFarm.Agent.Releases.TreeLimits Limits { get; init; } = WebFarm.Agent.Releases.TreeLimits.Default;

    /// <summary>How long a join token from `webfarm agents token` stays usable.</summary>
    public TimeSpan JoinTokenLifetime { get; init; } = TimeSpan.FromHours(1);
}
