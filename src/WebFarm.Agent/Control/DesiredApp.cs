namespace WebFarm.Agent.Control;

/// <summary>
/// One app the controller wants an agent to run (in every heartbeat answer): what to launch, on which port range,
/// how to tell it is healthy, and its environment. The agent runs one supervised instance of each.
/// </summary>
/// <param name="Name">The app's name (also its farm in the balancer and WEBFARM_APPLICATION_NAME).</param>
/// <param name="Command">The program to run, or an app's .dll (run with the dotnet host).</param>
/// <param name="Arguments">Its arguments; <c>{port}</c>, <c>{host}</c> and <c>{server}</c> are replaced by the
/// instance's port, bind address and server name.</param>
/// <param name="PortFrom">The first port of the range the instance may listen on.</param>
/// <param name="PortTo">The last port of the range (inclusive).</param>
/// <param name="HealthPath">GET this path; 2xx/3xx means healthy.</param>
/// <param name="Environment">Set in the instance's environment, over the member library's WEBFARM_* variables.</param>
/// <param name="RestartToken">Changes when an operator asks this server's instance to restart (`webfarm apps restart`);
/// null until then. The agent restarts an instance once per new token.</param>
/// <remarks>
/// <see cref="Command"/> is empty for an app that runs its releases (<see cref="Release"/>, <see cref="Entry"/>).
/// </remarks>
public sealed record DesiredApp(
    string Name,
    string Command,
    IReadOnlyList<string> Arguments,
    int PortFrom,
    int PortTo,
    string HealthPath,
    IReadOnlyDictionary<string, string> Environment,
    string? RestartToken)
{
    /// <summary>
    /// The release this instance runs (from the agent's <c>releases/APP/ID/</c>), null for an app with a command of
    /// its own. During a rolling deployment a server's list names the app twice, once per release: the agent runs
    /// both instances side by side on different ports of the range.
    /// </summary>
    public long? Release { get; init; }

    /// <summary>
    /// For an app that runs its release: the entry point, a path inside the release (a .dll run with the dotnet host,
    /// or a program); null: the release's one app .dll (the .dll with a .runtimeconfig.json next to it).
    /// </summary>
    public string? Entry { get; init; }

    /// <summary>The statuses of <see cref="HealthPath"/> that pass ("200-499"); null: 2xx/3xx.</summary>
    public string? HealthStatus { get; init; }

    /// <summary>The agent's key for this instance: the app, and its release when it runs one.</summary>
    public string InstanceKey => Release is { } id ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Name}@{id}") : Name;
}
