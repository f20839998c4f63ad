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
public sealed record DesiredApp(
    string Name,
    string Command,
    IReadOnlyList<string> Arguments,
    int PortFrom,
    int PortTo,
    string HealthPath,
    IReadOnlyDictionary<string, string> Environment,
    string? RestartToken);
