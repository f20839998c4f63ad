namespace WebFarm.Controller.Apps;

/// <summary>
/// An app of the farm (`webfarm apps add`): what each of its servers runs, on which ports, how its health is judged,
/// where it runs and which requests reach it. Immutable; stored as JSON in the apps table.
/// </summary>
/// <param name="Name">Also the name of its farm in the balancer (the balancer's name rules).</param>
/// <param name="Command">The program, or an app's .dll (run with the dotnet host), as a path on the servers; empty for
/// an app that runs its releases (`webfarm deploy`).</param>
/// <param name="Arguments">Its arguments; {port}, {host} and {server} are replaced on each server.</param>
/// <param name="PortFrom">First port of the range an instance may listen on.</param>
/// <param name="PortTo">Last port of the range (inclusive).</param>
/// <param name="HealthPath">GET this path; 2xx/3xx means ready for load balancing.</param>
/// <param name="Environment">Set for every instance, over the member library's WEBFARM_* variables.</param>
/// <param name="Servers">The servers it runs on; empty: every server, including those that join later.</param>
/// <param name="Hosts">Host names (or *.example.com patterns) routed to it; empty: the requests no app's host claims.</param>
/// <param name="LoadBalancing"><see cref="StaticLoadBalancing"/> (the default: the operator's weights alone) or
/// <see cref="ReportedLoadBalancing"/> (each server's effective weight also follows the load it reports; see
/// Load/ReportedLoadWeights).</param>
/// <param name="On">Placement by labels: it runs only on servers whose labels include every one of these (null or
/// empty: no condition). Combined with <paramref name="Servers"/>: a server must satisfy both.</param>
public sealed record AppDefinition(
    string Name,
    string Command,
    IReadOnlyList<string> Arguments,
    int PortFrom,
    int PortTo,
    string HealthPath,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string> Servers,
    IReadOnlyList<string> Hosts,
    string LoadBalancing = AppDefinition.StaticLoadBalancing,
    IReadOnlyDictionary<string, string>? On = null)
{
    public const string DefaultHealthPath = "/healthz";

    /// <summary>Weights are the operator's alone.</summary>
    public const string StaticLoadBalancing = "static";

    /// <summary>Effective weights also follow the load the servers report.</summary>
    public const string ReportedLoadBalancing = "reported";

    /// <summary>Whether its servers' effective weights follow their reported load.</summary>
    public bool WeighsByLoad => LoadBalancing == ReportedLoadBalancing;

    /// <summary>
    /// For an app that runs its releases: its entry point, a path inside the release (a .dll or a program); null: the
    /// release's one app .dll (with a .runtimeconfig.json next to it).
    /// </summary>
    public string? Entry { get; init; }

    /// <summary>
    /// The statuses of <see cref="HealthPath"/> that pass, as a status list ("200-499"); null: 2xx/3xx. `webfarm up`
    /// sets "200-499" with the path "/" for an app without a /healthz (Readiness/HealthRule chooses it).
    /// </summary>
    public string? HealthStatus { get; init; }

    /// <summary>True when the app has no command of its own: its servers run the release a deployment gives them.</summary>
    public bool RunsReleases => Command.Length == 0;

    /// <summary>Whether it runs on <paramref name="server"/>, whose labels are <paramref name="labels"/>.</summary>
    public bool RunsOn(string server, IReadOnlyDictionary<string, string> labels)
        => (Servers.Count == 0 || Servers.Contains(server, StringComparer.Ordinal)) && WebFarm.Agent.Control.ServerLabels.Match(On, labels);

    public string Ports => PortFrom == PortTo ? PortFrom.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{PortFrom}-{PortTo}");
}
