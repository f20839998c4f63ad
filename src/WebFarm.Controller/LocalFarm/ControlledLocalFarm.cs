using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Agent.Control;
using WebFarm.Agent.LocalFarm;
using WebFarm.Agent.Readiness;
using WebFarm.Agent.Releases;
using WebFarm.Agent.Supervision;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Hosting;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Deployments;
using WebFarm.Controller.Hosting;
using WebFarm.Controller.Releases;
using WebFarm.Controller.Releases.Packaging;
using WebFarm.State.Hosting;

namespace WebFarm.Controller.LocalFarm;

/// <summary>
/// `webfarm up`: a whole farm on this machine through the control plane's own code paths, in one
/// process: the state server, a controller (embedded SQLite store in a data directory, its in-process balancer serving
/// the site, the balancer's admin API), and N agents (web1..webN, each an in-process <see cref="ControlAgent"/> with
/// its own data directory, joined with a join token the controller issued) that run the app the controller assigns
/// them, as `webfarm apps add` would define it. Every agent joins with its own loopback address (<see cref="AgentAddress(int)"/>:
/// 127.31.134.2, 127.31.134.3, … for controller port 8070): the app's instances then listen on the same port range without racing each other for a port, as on
/// separate machines. The app is named after the farm (<see cref="LocalFarmOptions.FarmName"/>, "web"), so the
/// balancer's farm and the admin API's paths are "web" as they always were for `webfarm up`.
/// </summary>
public sealed class ControlledLocalFarm : IAsyncDisposable
{
    /// <summary>The servers' farm of the controller (servers that run their own app); the app's farm is "web".</summary>
    public const string ServersFarm = "servers";

    /// <summary>The app's port range on each agent's address: every agent has its own address, so one range serves all.</summary>
    public const int AppPortFrom = 20000;

    public const int AppPortTo = 20999;

    private static readonly TimeSpan ReadyPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The local agents' heartbeat (and release sync) period. The first deployment crosses the heartbeat about five
    /// times (placement, release installed, instance to start, its port and pid, in rotation); at NLB's 1 s that was
    /// most of the control plane's extra start-up time. Loopback heartbeats are cheap; the controller still counts
    /// a server lost after its own 5 x 1 s.
    /// </summary>
    public static readonly TimeSpan LocalHeartbeat = TimeSpan.FromMilliseconds(250);

    private readonly List<ControlAgent> _agents = [];
    private readonly string? _temporaryDirectory;
    private readonly StateServer _state;
    private ControllerHost? _controller;
    private Task? _stopping;

    private ControlledLocalFarm(LocalFarmOptions options, AppLaunch app, StateServer state, string dataDirectory, string? temporaryDirectory)
    {
        Options = options;
        App = app;
        _state = state;
        DataDirectory = dataDirectory;
        _temporaryDirectory = temporaryDirectory;
    }

    /// <summary>Every agent's instance state changes, named after its server ("web1 crashed: …"), from the supervision
    /// loops' threads: the console's per-instance lines.</summary>
    public event Action<InstanceStateChange>? InstanceChanged;

    public LocalFarmOptions Options { get; }

    public AppLaunch App { get; }

    /// <summary>The app's health check (chosen at start-up), for the console's header.</summary>
    public HealthRule? HealthRule { get; private set; }

    /// <summary>Holds the controller's store and each agent's directory (agents/web1, …).</summary>
    public string DataDirectory { get; }

    public ControllerHost Controller => _controller ?? throw new InvalidOperationException("the controller is not started yet.");

    public BalancerHost Balancer => Controller.Rotation.Balancer!;

    public IReadOnlyList<ControlAgent> Agents => _agents;

    /// <summary>The address to open in a browser.</summary>
    public Uri Url => new($"http://127.0.0.1:{Options.Port}/");

    /// <summary>The in-process balancer's admin API (for `webfarm servers … --admin-url`).</summary>
    public Uri AdminUrl => new($"http://127.0.0.1:{Options.AdminPort}/");

    /// <summary>The controller's API: every `--controller` command (servers list, ps, trace, apps, deploy) works against it.</summary>
    public Uri ControllerUrl => Controller.Url;

    public string StateEndpoint => $"127.0.0.1:{_state.Port}";

    /// <summary>
    /// The address agent number <paramref name="index"/> (0-based) joins with: 127.H.L.2, 127.H.L.3, … where H.L is the
    /// controller port's two bytes (8070: 127.31.134.2). Two `up`s on one machine have distinct controller ports (a
    /// taken one is refused), so their instances never race for the same address and port; with 127.0.0.x they did
    /// (seen: "Failed to bind to address http://127.0.0.3:20000: address already in use" with two test farms at once).
    /// </summary>
    public string AgentAddress(int index) => AgentAddress(Options.ControllerPort, index);

    /// <summary>The address agent number <paramref name="index"/> of the `up` whose controller listens on <paramref name="controllerPort"/>.</summary>
    public static string AgentAddress(int controllerPort, int index)
        => string.Create(CultureInfo.InvariantCulture, $"http://127.{controllerPort >> 8}.{controllerPort & 0xFF}.{index + 2}");

    /// <summary>
    /// Holds the four ports, builds the app if needed, starts the state server and the controller, defines the app,
    /// joins the agents and waits until every instance is in rotation (or one failed at start-up). Nothing is left
    /// running when a step fails.
    /// </summary>
    /// <param name="dataDirectory">The controller's and agents' data; null: a temporary directory removed at stop.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="PortInUseException">A port is taken; nothing was started.</exception>
    /// <exception cref="AppResolutionException">The app cannot be found or built.</exception>
    /// <exception cref="AppStartException">An instance exited before it was ready; nothing is left running.</exception>
    /// <exception cref="ControllerStartException">The controller cannot start (e.g. an unwritable data directory).</exception>
    public static async Task<ControlledLocalFarm> StartAsync(LocalFarmOptions options, string? dataDirectory, Action<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(withController: true);
        using var reservation = PortReservation.Hold([(options.Port, "--port"), (options.AdminPort, "--admin-port"), (options.StatePort, "--state-port"), (options.ControllerPort, "--controller-port")]);
        var app = await AppLocator.ResolveAsync(options.AppPath, progress, cancellationToken).ConfigureAwait(false);
        if (!MemberLibrary.IsReferencedBy(app))
        {
            progress?.Invoke(MemberLibrary.Notice(app.AppName));
        }

        string? temporary = null;
        if (dataDirectory is null)
        {
            temporary = Directory.CreateTempSubdirectory("webfarm-up-").FullName;
            dataDirectory = temporary;
        }

        reservation.Release(options.StatePort);
        StateServer state;
        try
        {
            state = await StateServer.StartAsync(new StateServerOptions { Port = options.StatePort }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (PortReservation.IsAddressInUse(ex))
        {
            RemoveTemporary(temporary);
            throw new PortInUseException(options.StatePort, "--state-port");
        }

        progress?.Invoke($"state server listening on 127.0.0.1:{state.Port}");
        var farm = new ControlledLocalFarm(options, app, state, dataDirectory, temporary);
        // The app's first answer chooses its health check while the controller starts (HealthRuleProbe).
        var choosing = HealthRuleProbe.ChooseAsync(options, app, farm.StateEndpoint, progress, cancellationToken);
        try
        {
            reservation.Dispose();
            farm._controller = await ControllerHost.StartAsync(farm.ControllerOptions(), NullLoggerFactory.Instance, cancellationToken).ConfigureAwait(false);
            progress?.Invoke($"controller listening on {farm.ControllerUrl} (data in {dataDirectory}); balancer on {farm.Url} (admin API {farm.AdminUrl})");
            var role = await farm.WaitLeadingAsync(cancellationToken).ConfigureAwait(false);
            var rule = await choosing.ConfigureAwait(false);
            farm.HealthRule = rule;
            var (definition, release) = await farm.DefineAppAsync(role, rule, cancellationToken).ConfigureAwait(false);
            progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"app {definition.Name}: release {release.Id} ({release.Files} files from {farm.ReleaseFolder}), entry {definition.Entry}, on ports {definition.Ports}, health check {rule.Description}"));
            await farm.JoinAgentsAsync(role, cancellationToken).ConfigureAwait(false);
            // The first deployment: an instance that answers but fails its check for FailingGrace (5 s) leaves its
            // server out of rotation (the deployment ends `partial`), as `up` always started with such a server.
            var request = new DeploymentRequest(definition.Name, release.Id, DeploymentKind.Rolling, new BatchSize(100, Percent: true), options.ReadyTimeout, AutoRollback: false, DeploymentKind.Deploy)
            {
                FailingGrace = options.FailingGrace,
            };
            var deployment = await role.Deployments.StartAsync(request, cancellationToken).ConfigureAwait(false);
            await farm.WaitReadyAsync(progress, role, deployment.Id, cancellationToken).ConfigureAwait(false);

            return farm;
        }
        catch
        {
            // The probe instance stops on its own; wait for it, so nothing is left running.
            await ((Task)choosing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await farm.StopAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Drains every server in the app's farm, stops the agents (their instances: SIGTERM, then SIGKILL after
    /// a timeout), then the controller and the state server.</summary>
    public Task StopAsync()
    {
        lock (_agents)
        {
            return _stopping ??= StopCoreAsync();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private ControllerOptions ControllerOptions() => new()
    {
        Listen = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Options.ControllerPort}"),
        DataDirectory = Path.Combine(DataDirectory, "controller"),
        BalancerListen = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Options.Port}"),
        BalancerAdmin = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Options.AdminPort}"),
        FarmName = ServersFarm,
        StateEndpoint = StateEndpoint,
        AppLoadBalancing = WebFarm.Balancer.LoadBalancing.LoadBalancingAlgorithm.LeastRequests, // As `up`'s farm always was.
    };

    /// <summary>The folder the app was built or published to: uploaded as the app's first release.</summary>
    private string ReleaseFolder => App.WorkingDirectory;

    /// <summary>
    /// Stores the app's folder as release 1 of the app (as `webfarm deploy` uploads one, without the HTTP hop) and
    /// defines the app as `webfarm apps add web --ports …` does for an app that runs its releases: a later
    /// `webfarm deploy web PATH` then rolls a changed build out server by server.
    /// </summary>
    private async Task<(AppDefinition App, TreeRecord Release)> DefineAppAsync(LeaderRole role, HealthRule health, CancellationToken cancellationToken)
    {
        // A .NET app runs as its .dll (the agent starts it with the dotnet host); anything else as its program.
        var dll = App.FileName == DotNetHost.Path && App.Arguments.Count > 0 && App.Arguments[0].EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var entry = Path.GetRelativePath(ReleaseFolder, dll ? App.Arguments[0] : App.FileName);
        IReadOnlyList<string> arguments = dll ? [.. App.Arguments.Skip(1)] : App.Arguments;
        if (entry.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(entry))
        {
            throw new AppResolutionException($"the app's entry point {entry} is not inside its folder {ReleaseFolder}: the control plane runs the app from a release of that folder");
        }

        var library = Controller.Releases;
        TreeRecord release;
        using (var package = await PackageReader.ReadAsync(ReleaseFolder, library.Limits, publishLog: null, cancellationToken).ConfigureAwait(false))
        {
            foreach (var sha in library.Missing(package.Manifest.Files.Select(f => f.Sha256)))
            {
                var source = File.OpenRead(package.Sources[sha]);
                await using (source.ConfigureAwait(false))
                {
                    await library.StoreBlobAsync(sha, source, cancellationToken).ConfigureAwait(false);
                }
            }

            release = await library.CreateAsync(TreeInstaller.ReleaseKind, Options.FarmName, $"webfarm up: {ReleaseFolder}", package.Manifest, cancellationToken).ConfigureAwait(false);
        }

        var app = new AppDefinition(
            Options.FarmName,
            string.Empty,
            arguments,
            AppPortFrom,
            AppPortTo,
            health.Path,
            new Dictionary<string, string>(StringComparer.Ordinal),
            [],
            [])
        {
            Entry = entry,
            HealthStatus = health.DefinitionStatus,
        };
        if (role.Apps.Find(app.Name) is not null)
        {
            // A --data-dir used before: this start's app and build replace the stored ones (earlier releases stay listed).
            await role.Apps.RemoveAsync(app.Name, cancellationToken).ConfigureAwait(false);
        }

        return (await role.Apps.AddAsync(app, role.Agents.Names, cancellationToken).ConfigureAwait(false), release);
    }

    /// <summary>
    /// The first deployment (it starts every instance) as it is now: null while it runs, else ended with every server in
    /// rotation (succeeded) or some left out of it (partial).
    /// </summary>
    /// <exception cref="AppStartException">It failed: the server, the reason and the app's last output.</exception>
    private async Task<DeploymentRecord?> EndedAsync(LeaderRole role, long id, CancellationToken cancellationToken)
    {
        var record = await role.Deployments.GetAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"the first deployment {id} is not recorded");
        if (record.State is DeploymentState.Succeeded or DeploymentState.Partial)
        {
            return record;
        }

        if (record.State != DeploymentState.Running)
        {
            var failed = record.Servers.FirstOrDefault(s => s.Error is not null);
            throw new AppStartException(new ReadinessResult(failed?.Server ?? Options.ServerName(0), ReadinessOutcome.Exited, null, record.Error ?? record.State, failed?.Output ?? [], null));
        }

        return null;
    }

    private async Task<LeaderRole> WaitLeadingAsync(CancellationToken cancellationToken)
    {
        // The embedded store's lock is this process's alone: the first election round leads.
        LeaderRole? role;
        while ((role = Controller.Role) is null)
        {
            await Task.Delay(ReadyPoll, cancellationToken).ConfigureAwait(false);
        }

        return role;
    }

    private async Task JoinAgentsAsync(LeaderRole role, CancellationToken cancellationToken)
    {
        var joins = new List<Task<ControlAgent>>(Options.Servers);
        for (var i = 0; i < Options.Servers; i++)
        {
            var (token, _) = await role.Agents.CreateJoinTokenAsync(cancellationToken).ConfigureAwait(false);
            var name = Options.ServerName(i);
            joins.Add(ControlAgent.StartAsync(
                new ControlAgentOptions
                {
                    Controllers = [ControllerUrl],
                    Name = name,
                    Address = AgentAddress(i),
                    DataDirectory = Path.Combine(DataDirectory, "agents", name),
                    JoinToken = token,
                    HeartbeatInterval = LocalHeartbeat,
                },
                NullLogger.Instance,
                cancellationToken));
        }

        try
        {
            await Task.WhenAll(joins).ConfigureAwait(false);
        }
        finally
        {
            foreach (var join in joins)
            {
                if (join.IsCompletedSuccessfully)
                {
                    join.Result.InstanceChanged += change => InstanceChanged?.Invoke(change);
                    _agents.Add(join.Result);
                }
            }
        }
    }

    /// <summary>
    /// Waits for the first deployment to end, saying each server's outcome as it comes: in rotation ("web1 ready on …"),
    /// or not ready ("web2 unhealthy: GET /healthz answered 500 for 5s …": it stays out of rotation, its instance
    /// supervised, and the balancer's checks bring it in once it passes). An instance that exits before it was ever
    /// ready fails start-up at once with its last output.
    /// </summary>
    private async Task WaitReadyAsync(Action<string>? progress, LeaderRole role, long deployment, CancellationToken cancellationToken)
    {
        var pending = new List<ControlAgent>(_agents);
        while (true)
        {
            var ended = await EndedAsync(role, deployment, cancellationToken).ConfigureAwait(false);
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                var agent = pending[i];
                var report = FindReport(agent);
                if (report is not null && report.Healthy && InRotation(agent.Name) && report.ProcessId is { } pid)
                {
                    progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{agent.Name} ready on {InstanceRotation.AddressOf(AgentAddress(_agents.IndexOf(agent)), report.Port)} (pid {pid}; {report.Detail})"));
                    pending.RemoveAt(i);
                }
                else if (report?.State is "crashed" or "backingOff")
                {
                    throw new AppStartException(new ReadinessResult(agent.Name, ReadinessOutcome.Exited, null, report.Detail, AppOutput(agent), null));
                }
                else if (ended?.Servers.FirstOrDefault(s => s.Server == agent.Name) is { Phase: DeploymentPhase.NotReady } notReady)
                {
                    progress?.Invoke($"{agent.Name} unhealthy: {notReady.Error}; the balancer keeps it out of rotation until its check passes");
                    pending.RemoveAt(i);
                }
            }

            if (ended is not null && pending.Count == 0)
            {
                return;
            }

            await Task.Delay(ReadyPoll, cancellationToken).ConfigureAwait(false);
        }
    }

    private InstanceReport? FindReport(ControlAgent agent)
    {
        foreach (var report in agent.Instances)
        {
            if (report.App == Options.FarmName)
            {
                return report;
            }
        }

        return null;
    }

    private bool InRotation(string server)
        => Controller.Rotation.Runtime.Farms.TryGetValue(Options.FarmName, out var farm) && farm.FindServer(server) is { Healthy: true };

    /// <summary>The app's own output lines in the agent's trace (what it wrote before it exited).</summary>
    private List<string> AppOutput(ControlAgent agent)
    {
        var lines = new List<string>();
        foreach (var entry in agent.Trace.Since(0))
        {
            if (entry.Source == Options.FarmName)
            {
                lines.Add(entry.Message);
            }
        }

        return lines;
    }

    private async Task StopCoreAsync()
    {
        if (_controller?.Rotation.Runtime is { } runtime && _agents.Count > 0)
        {
            await Task.WhenAll(_agents.Select(a => DrainAsync(runtime, a.Name))).ConfigureAwait(false);
        }

        await Task.WhenAll(_agents.Select(a => a.DisposeAsync().AsTask())).ConfigureAwait(false);
        if (_controller is not null)
        {
            await _controller.DisposeAsync().ConfigureAwait(false);
        }

        await _state.DisposeAsync().ConfigureAwait(false);
        RemoveTemporary(_temporaryDirectory);
    }

    /// <summary>No new requests to the server's instance, then wait (at most the drain timeout) for its in-flight ones.</summary>
    private async Task DrainAsync(BalancerRuntime runtime, string server)
    {
        try
        {
            runtime.SetState(Options.FarmName, server, ServerState.Draining);
            using var timeout = new CancellationTokenSource(Options.DrainTimeout);
            await runtime.WaitDrainedAsync(Options.FarmName, server, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ServerNotFoundException or InvalidOperationException or OperationCanceledException)
        {
            // Not in the farm (never healthy, or removed), set to another state meanwhile, or slower than the drain
            // timeout: the agent's SIGTERM (and the member library's drain delay) take it from here.
        }
    }

    private static void RemoveTemporary(string? directory)
    {
        if (directory is null)
        {
            return;
        }

        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temporary folder: the system cleans it.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
