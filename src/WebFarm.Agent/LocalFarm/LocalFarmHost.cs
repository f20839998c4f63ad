using System.Globalization;
using System.Net.Sockets;
using WebFarm.Agent.Readiness;
using WebFarm.Agent.Supervision;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.Hosting;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.State.Hosting;

namespace WebFarm.Agent.LocalFarm;

/// <summary>
/// A whole farm on one machine (`webfarm up`): the state server and the balancer run in this process,
/// the app instances run as supervised child processes on free loopback ports. A crashed instance is
/// marked failed in the balancer at once (without waiting for health checks), restarted with backoff,
/// and rejoins when its health checks pass. Stopping drains every instance through the balancer first.
/// The health check (a <see cref="HealthRule"/>) is the one given, or the one the app's first answer on /healthz
/// chooses; the start-up wait and the balancer use the same one.
/// </summary>
public sealed class LocalFarmHost : IAsyncDisposable
{
    private static readonly TimeSpan HealthInterval = TimeSpan.FromSeconds(1);

    /// <summary>Above the interval on purpose: an app's page (GET / without a health endpoint) may be slow on a busy machine.</summary>
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(2);

    private readonly LocalFarmOptions _options;
    private readonly StateServer _state;
    private readonly List<SupervisedInstance> _instances;
    private volatile BalancerHost? _balancer; // Read by supervision threads (crash marking, drain).
    private Task? _stopping;

    private LocalFarmHost(LocalFarmOptions options, AppLaunch app, StateServer state, List<SupervisedInstance> instances)
    {
        _options = options;
        App = app;
        _state = state;
        _instances = instances;
    }

    /// <summary>Raised on every instance state change (from the supervision loops' threads).</summary>
    public event Action<InstanceStateChange>? InstanceChanged;

    public LocalFarmOptions Options => _options;

    public AppLaunch App { get; }

    /// <summary>The health check of every instance, at start-up and in the balancer (known once started).</summary>
    public HealthRule? HealthRule { get; private set; }

    public IReadOnlyList<SupervisedInstance> Instances => _instances;

    public BalancerHost Balancer => _balancer ?? throw new InvalidOperationException("the balancer is not started yet.");

    /// <summary>The address to open in a browser.</summary>
    public Uri Url => new($"http://127.0.0.1:{_options.Port}/");

    /// <summary>The balancer's admin API (for `webfarm servers …`).</summary>
    public Uri AdminUrl => new($"http://127.0.0.1:{_options.AdminPort}/");

    public string StateEndpoint => $"127.0.0.1:{_state.Port}";

    /// <summary>
    /// Checks and holds the ports (all of them before anything starts, so a second `up` fails at once),
    /// builds the app if needed, then starts the state server, the instances and, once they answer their
    /// health checks, the balancer. Nothing is left running if any step fails.
    /// </summary>
    /// <param name="progress">One line per step, for the console.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="PortInUseException">A port is taken; nothing was started.</exception>
    /// <exception cref="AppResolutionException">The app cannot be found or built.</exception>
    /// <exception cref="AppStartException">An instance exited (or never listened) before it was ready; nothing is left running.</exception>
    public static async Task<LocalFarmHost> StartAsync(LocalFarmOptions options, Action<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        using var reservation = PortReservation.Hold([(options.Port, "--port"), (options.AdminPort, "--admin-port"), (options.StatePort, "--state-port")]);

        var app = await AppLocator.ResolveAsync(options.AppPath, progress, cancellationToken).ConfigureAwait(false);
        if (!MemberLibrary.IsReferencedBy(app))
        {
            progress?.Invoke(MemberLibrary.Notice(app.AppName));
        }

        StateServer state;
        try
        {
            reservation.Release(options.StatePort);
            state = await StateServer.StartAsync(new StateServerOptions { Port = options.StatePort }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsAddressInUse(ex))
        {
            throw new PortInUseException(options.StatePort, "--state-port");
        }

        progress?.Invoke($"state server listening on 127.0.0.1:{state.Port}");
        var instances = new List<SupervisedInstance>(options.Servers);
        var farm = new LocalFarmHost(options, app, state, instances);
        try
        {
            farm.CreateInstances();
            foreach (var instance in instances)
            {
                instance.Start();
            }

            var (rule, unhealthy) = await farm.WaitReadyAsync(progress, cancellationToken).ConfigureAwait(false);
            farm.HealthRule = rule;
            reservation.Dispose();
            farm._balancer = await StartBalancerAsync(options, instances, rule, cancellationToken).ConfigureAwait(false);
            foreach (var result in unhealthy)
            {
                // Out of rotation from the start, with the reason; its check brings it in once it passes.
                farm._balancer.Runtime.SetHealth(options.FarmName, result.Instance, healthy: false, $"unhealthy at start-up: {result.Reason}");
            }

            progress?.Invoke($"balancer listening on {farm.Url} (admin API {farm.AdminUrl})");
            return farm;
        }
        catch
        {
            await farm.StopAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Drains and stops every instance (in parallel), then the balancer and the state server.</summary>
    public Task StopAsync()
    {
        lock (_instances)
        {
            return _stopping ??= StopCoreAsync();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task StopCoreAsync()
    {
        await Task.WhenAll(_instances.Select(i => i.StopAsync())).ConfigureAwait(false);
        if (_balancer is not null)
        {
            await _balancer.StopAsync().ConfigureAwait(false);
        }

        await _state.DisposeAsync().ConfigureAwait(false);
    }

    private void CreateInstances()
    {
        var taken = new HashSet<int> { _options.Port, _options.AdminPort, _options.StatePort };
        for (var i = 0; i < _options.Servers; i++)
        {
            int port;
            do
            {
                port = LoopbackPort.FindFree();
            }
            while (!taken.Add(port));

            var name = _options.ServerName(i);
            var instance = new SupervisedInstance(new SupervisedInstanceOptions
            {
                Name = name,
                Launch = App,
                Port = port,
                Backoff = _options.Backoff,
                DrainTimeout = _options.DrainTimeout,
                StopTimeout = _options.StopTimeout,
                DrainAsync = DrainAsync,
                Environment = MemberLibrary.Environment(name, StateEndpoint, App.AppName, trustedProxies: "127.0.0.1"),
            });
            instance.StateChanged += OnInstanceChanged;
            _instances.Add(instance);
        }
    }

    private void OnInstanceChanged(InstanceStateChange change)
    {
        if (change.Current == InstanceState.Crashed && _balancer is { } balancer)
        {
            // Take it out of rotation now rather than after the health checks' fall count; the checks bring
            // it back (rejoined) once the restarted process passes them.
            try
            {
                balancer.Runtime.SetHealth(_options.FarmName, change.Instance, healthy: false, change.Reason);
            }
            catch (ServerNotFoundException)
            {
                // Removed through the admin API: nothing to mark.
            }
        }

        InstanceChanged?.Invoke(change);
    }

    /// <summary>The supervisor's drain step: no new requests to the instance, then wait for its in-flight ones.</summary>
    private async Task DrainAsync(SupervisedInstance instance, CancellationToken cancellationToken)
    {
        if (_balancer is not { } balancer)
        {
            return; // Stopping before the balancer started: nothing routes to the instance.
        }

        try
        {
            balancer.Runtime.SetState(_options.FarmName, instance.Name, ServerState.Draining);
            await balancer.Runtime.WaitDrainedAsync(_options.FarmName, instance.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerNotFoundException)
        {
            // Removed through the admin API: nothing to drain.
        }
        catch (InvalidOperationException)
        {
            // Its state was changed again while draining (e.g. an operator set it offline): nothing to wait for.
        }
    }

    /// <summary>
    /// Waits for every instance (in parallel) to pass the health check, the first instance's first answer choosing it
    /// when none was given (the others start waiting as soon as it is chosen). Ends as soon as they pass; fails at
    /// once, with the instance's last output, when one exits or never listens; an instance that answers but keeps
    /// failing its check is reported and returned.
    /// </summary>
    /// <returns>The check, and the instances that failed it.</returns>
    private async Task<(HealthRule Rule, List<ReadinessResult> Unhealthy)> WaitReadyAsync(Action<string>? progress, CancellationToken cancellationToken)
    {
        using var probe = new HealthProbe();
        var readiness = new InstanceReadiness(probe, new ReadinessOptions { ListenTimeout = _options.ReadyTimeout, FailingGrace = _options.FailingGrace });
        var unhealthy = new List<ReadinessResult>();
        var chosen = new TaskCompletionSource<HealthRule>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Choose(HealthRule rule)
        {
            progress?.Invoke($"health check: {rule}");
            chosen.TrySetResult(rule);
        }

        if (_options.HealthPath is { } path)
        {
            Choose(HealthRule.ForPath(path, "--health-path"));
        }

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = new List<Task<ReadinessResult>>(_instances.Count);
        foreach (var instance in _instances)
        {
            pending.Add(chosen.Task.IsCompleted || pending.Count > 0
                ? WaitWithChosenRuleAsync(instance)
                : readiness.WaitAsync(instance, rule: null, failed.Token, Choose));
        }

        try
        {
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending).ConfigureAwait(false);
                pending.Remove(done);
                Report(await done.ConfigureAwait(false), progress, unhealthy);
            }
        }
        finally
        {
            // A failure ends the other waits at once; they end with an OperationCanceledException, expected here.
            await failed.CancelAsync().ConfigureAwait(false);
            await ((Task)Task.WhenAll(pending)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        // Every instance passed or answered, so the rule was chosen.
        return (await chosen.Task.ConfigureAwait(false), unhealthy);

        async Task<ReadinessResult> WaitWithChosenRuleAsync(SupervisedInstance instance)
        {
            var rule = await chosen.Task.WaitAsync(failed.Token).ConfigureAwait(false);
            return await readiness.WaitAsync(instance, rule, failed.Token).ConfigureAwait(false);
        }
    }

    private void Report(ReadinessResult result, Action<string>? progress, List<ReadinessResult> unhealthy)
    {
        switch (result.Outcome)
        {
            case ReadinessOutcome.Ready:
                var instance = _instances.First(i => i.Name == result.Instance);
                progress?.Invoke($"{result.Instance} ready on {instance.Address} (pid {instance.ProcessId}; {result.Reason})");
                break;
            case ReadinessOutcome.Unhealthy:
                progress?.Invoke($"{result.Instance} unhealthy: {result.Reason}; the balancer keeps it out of rotation until its check passes");
                unhealthy.Add(result);
                break;
            default:
                throw new AppStartException(result);
        }
    }

    private static async Task<BalancerHost> StartBalancerAsync(LocalFarmOptions options, IReadOnlyList<SupervisedInstance> instances, HealthRule rule, CancellationToken cancellationToken)
    {
        var farm = new FarmOptions
        {
            LoadBalancing = LoadBalancingAlgorithm.LeastRequests,
            Health = rule.ToCheckOptions(HealthInterval, HealthTimeout, rise: 2, fall: 2),
            Affinity = new AffinityOptions { Mode = AffinityMode.None },
            Servers = [.. instances.Select(i => new ServerOptions { Name = i.Name, Address = i.Address.ToString() })],
        };
        var config = new BalancerConfig
        {
            Listen = [new ListenEndpoint(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{options.Port}"))],
            Admin = new AdminOptions { Listen = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{options.AdminPort}") },
            StateDirectory = null, // A local farm starts fresh: no server states carried over from an earlier run.
            Farms = new Dictionary<string, FarmOptions>(StringComparer.Ordinal) { [options.FarmName] = farm },
        };
        try
        {
            return await BalancerHost.StartAsync(new BalancerHostOptions { Config = config, ShutdownTimeout = TimeSpan.FromSeconds(5) }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsAddressInUse(ex))
        {
            // Someone took the port while we were building and starting; say which one.
            throw LoopbackPort.IsFree(options.Port) ? new PortInUseException(options.AdminPort, "--admin-port") : new PortInUseException(options.Port, "--port");
        }
    }

    /// <summary>Whether binding failed because the address is taken (a socket error or Kestrel's exception, anywhere in the chain).</summary>
    public static bool IsAddressInUse(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } or Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                return true;
            }
        }

        return false;
    }
}
