namespace WebFarm.Agent.LocalFarm;

/// <summary>What `webfarm up` runs: N instances of an app behind a balancer, with a state server.</summary>
public sealed record LocalFarmOptions
{
    public const int MaxServers = 32;

    /// <summary>The farm's name in the balancer (and in the admin API).</summary>
    public string FarmName { get; init; } = "web";

    /// <summary>How many instances to run (1..<see cref="MaxServers"/>), named web1…webN.</summary>
    public int Servers { get; init; } = 3;

    /// <summary>The app: a .csproj, a .dll or a folder (see AppLocator).</summary>
    public required string AppPath { get; init; }

    /// <summary>The balancer's client-facing port on 127.0.0.1.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>The balancer's admin API port on 127.0.0.1 (what `webfarm servers …` talks to).</summary>
    public int AdminPort { get; init; } = 8089;

    /// <summary>The state server's port on 127.0.0.1.</summary>
    public int StatePort { get; init; } = 42424;

    /// <summary>The controller API's port on 127.0.0.1 (`webfarm up --control-plane` only; the controller's default port).</summary>
    public int ControllerPort { get; init; } = 8070;

    /// <summary>Restart delays after a crash.</summary>
    public Supervision.RestartBackoff Backoff { get; init; } = Supervision.RestartBackoff.Default;

    /// <summary>How long an instance's in-flight requests may take to finish when it stops.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an instance may take to exit after SIGTERM before it is killed.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The health path (`--health-path`); null: /healthz when the app answers it, else "GET / below 500"
    /// (see <see cref="Readiness.HealthRule"/>).
    /// </summary>
    public string? HealthPath { get; init; }

    /// <summary>
    /// How long a running instance may take to accept its first connection. Not a fixed wait: start-up goes on as
    /// soon as every instance passes its check, and fails at once when one exits.
    /// </summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an instance that answers may fail its health check at start-up before it is reported unhealthy.</summary>
    public TimeSpan FailingGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The name of the server number <paramref name="index"/> (0-based): web1, web2, …</summary>
    public string ServerName(int index) => $"{FarmName}{index + 1}";

    /// <summary>Checks the options; the message names the option and why.</summary>
    /// <param name="withController">Whether <see cref="ControllerPort"/> is used (and must differ from the others).</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate(bool withController = false)
    {
        if (Servers is < 1 or > MaxServers)
        {
            throw new ArgumentException($"--servers {Servers}: expected 1 to {MaxServers} servers.", "options");
        }

        CheckPort(Port, "--port");
        CheckPort(AdminPort, "--admin-port");
        CheckPort(StatePort, "--state-port");
        if (withController)
        {
            CheckPort(ControllerPort, "--controller-port");
        }

        if (HealthPath is { } healthPath && Readiness.HealthRule.CheckPath(healthPath) is { } problem)
        {
            throw new ArgumentException($"--health-path {healthPath}: {problem}.", "options");
        }

        if (Port == AdminPort || Port == StatePort || AdminPort == StatePort)
        {
            throw new ArgumentException($"--port {Port}, --admin-port {AdminPort} and --state-port {StatePort} must all differ.", "options");
        }

        if (withController && (ControllerPort == Port || ControllerPort == AdminPort || ControllerPort == StatePort))
        {
            throw new ArgumentException($"--controller-port {ControllerPort} must differ from --port {Port}, --admin-port {AdminPort} and --state-port {StatePort}.", "options");
        }

        static void CheckPort(int port, string option)
        {
            if (port is < 1 or > 65535)
            {
                throw new ArgumentException($"{option} {port}: expected a port from 1 to 65535.", "options");
            }
        }
    }
}
