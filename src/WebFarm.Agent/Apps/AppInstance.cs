using System.Globalization;
using System.Net;
using WebFarm.Agent.Control;
using WebFarm.Agent.Readiness;
using WebFarm.Agent.Supervision;
using WebFarm.Agent.Trace;
using WebFarm.Balancer.Health;

namespace WebFarm.Agent.Apps;

/// <summary>
/// One app instance on an agent: a <see cref="SupervisedInstance"/> on a port of the app's range (restarts with
/// backoff, SIGTERM then SIGKILL on stop), probed with the app's health path every interval, its output lines copied
/// to the agent's trace. An instance that cannot start (no free port, a command that does not exist) stays as a
/// failed placeholder with the reason, which the agent reports and retries.
/// </summary>
internal sealed class AppInstance : IAsyncDisposable
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    private readonly SupervisedInstance? _instance;
    private readonly TraceRing _trace;
    private readonly HealthProbe _probe;
    private readonly TimeSpan _interval;
    private readonly ProcessUsage _usage = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _health = Task.CompletedTask;
    private static readonly IReadOnlySet<int> EmptyPorts = new HashSet<int>();

    private readonly string? _failure;
    private readonly IPAddress _bind;
    private volatile bool _healthy;
    private volatile string _detail;

    // The health probe's round trip, a moving average (a quarter of each new probe): one slow probe does not jump it.
    private double _probeLatencyMs = double.NaN;

    private AppInstance(DesiredApp app, string? restartToken, int port, IPAddress bind, SupervisedInstance? instance, string? failure, TraceRing trace, HealthProbe probe, TimeSpan interval)
    {
        _bind = bind;
        App = app;
        RestartToken = restartToken;
        Port = port;
        _instance = instance;
        _failure = failure;
        _trace = trace;
        _probe = probe;
        _interval = interval;
        _detail = failure ?? "starting";
        if (instance is not null)
        {
            _health = Task.Run(HealthLoopAsync);
        }
    }

    /// <summary>The definition it runs (its <see cref="DesiredApp.RestartToken"/> may be older than the controller's).</summary>
    public DesiredApp App { get; }

    /// <summary>The restart request this instance's start carried out.</summary>
    public string? RestartToken { get; }

    public int Port { get; }

    /// <summary>True when it could not be started (no free port, bad command): retried by the supervisor.</summary>
    public bool Failed => _failure is not null;

    /// <summary>
    /// True when its process is down (crashed, backing off) and another process now holds its port: restarting on that
    /// port would crash again, so the supervisor replaces it on another port of the range.
    /// </summary>
    public bool PortLost => _instance is { State: InstanceState.Crashed or InstanceState.BackingOff }
        && PortRange.FindFree(_bind, Port, Port, EmptyPorts) is null;

    /// <summary>Starts an instance of <paramref name="app"/> on the first free port of its range (<paramref name="preferredPort"/> first).</summary>
    /// <param name="releasesDirectory">The agent's <c>releases/</c> (an app that runs its release runs it from there).</param>
    public static AppInstance Start(DesiredApp app, string? restartToken, string serverName, IPAddress bind, int? preferredPort, IReadOnlySet<int> taken, string releasesDirectory, TraceRing trace, HealthProbe probe, TimeSpan interval, Action<InstanceStateChange>? observer = null)
    {
        int? port = null;
        if (preferredPort is { } preferred && preferred >= app.PortFrom && preferred <= app.PortTo)
        {
            port = PortRange.FindFree(bind, preferred, preferred, taken);
        }

        port ??= PortRange.FindFree(bind, app.PortFrom, app.PortTo, taken);
        if (port is null)
        {
            var reason = string.Create(CultureInfo.InvariantCulture, $"no free port in {app.PortFrom}-{app.PortTo} on {bind}: every port of the app's range is taken on this server");
            trace.Add("agent", $"app {app.Name}: {reason}");
            return new AppInstance(app, restartToken, 0, bind, null, reason, trace, probe, interval);
        }

        var host = bind.ToString();
        var arguments = new List<string>(app.Arguments.Count);
        foreach (var argument in app.Arguments)
        {
            arguments.Add(argument
                .Replace("{port}", port.Value.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{host}", host, StringComparison.Ordinal)
                .Replace("{server}", serverName, StringComparison.Ordinal));
        }

        AppLaunch launch;
        try
        {
            launch = Launch(app, arguments, releasesDirectory);
        }
        catch (AppResolutionException ex)
        {
            trace.Add("agent", $"app {app.Name}: {ex.Message}");
            return new AppInstance(app, restartToken, 0, bind, null, ex.Message, trace, probe, interval);
        }

        var environment = app.Environment;
        if (app.Release is { } release)
        {
            environment = new Dictionary<string, string>(app.Environment, StringComparer.Ordinal) { ["WEBFARM_RELEASE"] = release.ToString(CultureInfo.InvariantCulture) };
        }

        var source = app.Name;
        var instance = new SupervisedInstance(new SupervisedInstanceOptions
        {
            Name = app.Name,
            Launch = launch,
            Port = port.Value,
            BindAddress = host,
            Environment = environment,
            OutputObserver = line => trace.Add(source, line),
            // The controller drains the server in the app's farm before it asks for a stop or a restart; the
            // member library's own drain delay then covers a balancer that still has connections open.
            DrainAsync = null,
        });
        var result = new AppInstance(app, restartToken, port.Value, bind, instance, null, trace, probe, interval);
        instance.StateChanged += result.OnStateChanged;
        if (observer is not null)
        {
            instance.StateChanged += observer;
        }
        trace.Add("agent", string.Create(CultureInfo.InvariantCulture, $"app {app.Name}: starting {launch} on port {port}"));
        instance.Start();
        return result;
    }

    /// <summary>
    /// What to run: the app's command (a .dll with the dotnet host, or a program), or, for an app that runs its
    /// release, the release's entry point from <c>releases/APP/ID/</c>.
    /// </summary>
    /// <exception cref="AppResolutionException">The release is not installed here, or has no (single) entry point.</exception>
    private static AppLaunch Launch(DesiredApp app, List<string> arguments, string releasesDirectory)
    {
        string command;
        string directory;
        if (app.Release is { } release)
        {
            directory = Path.Combine(releasesDirectory, app.Name, release.ToString(CultureInfo.InvariantCulture));
            if (!Directory.Exists(directory))
            {
                throw new AppResolutionException(string.Create(CultureInfo.InvariantCulture, $"release {release} of {app.Name} is not installed on this server yet (retried as it arrives)"));
            }

            if (app.Entry is null)
            {
                var published = AppLocator.ResolvePublished(directory);
                return published with { Arguments = [.. published.Arguments, .. arguments], AppName = app.Name };
            }

            command = Path.GetFullPath(Path.Combine(directory, app.Entry));
            if (!File.Exists(command))
            {
                throw new AppResolutionException(string.Create(CultureInfo.InvariantCulture, $"release {release} of {app.Name} has no entry point '{app.Entry}'"));
            }
        }
        else
        {
            command = app.Command;
            directory = Path.IsPathRooted(command) ? Path.GetDirectoryName(command)! : Environment.CurrentDirectory;
        }

        if (command.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            var dll = AppLaunch.ForDll(command);
            return dll with { Arguments = [.. dll.Arguments, .. arguments], AppName = app.Name };
        }

        return new AppLaunch(command, arguments, directory, app.Name);
    }

    public InstanceReport Report()
    {
        var pid = _instance?.ProcessId;
        double cpu = 0;
        long memory = 0;
        if (pid is { } id)
        {
            lock (_usage)
            {
                (cpu, memory) = _usage.Sample(id);
            }
        }

        var state = _instance is null ? "failed" : JsonState(_instance.State);
        var latency = Volatile.Read(ref _probeLatencyMs);
        return new InstanceReport(App.Name, Port, pid, state, _healthy && pid is not null, _detail, _instance?.StartedAt, _instance?.Restarts ?? 0, RestartToken, cpu, memory, double.IsNaN(latency) || pid is null ? null : Math.Round(latency, 2)) { Release = App.Release };
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _health.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_instance is not null)
        {
            await _instance.StopAsync().ConfigureAwait(false);
            _trace.Add("agent", string.Create(CultureInfo.InvariantCulture, $"app {App.Name}: stopped the instance on port {Port}"));
        }

        _stop.Dispose();
    }

    private static string JsonState(InstanceState state) => state switch
    {
        InstanceState.BackingOff => "backingOff",
        _ => state.ToString().ToLowerInvariant(),
    };

    private void OnStateChanged(InstanceStateChange change)
    {
        if (change.Current is InstanceState.Crashed or InstanceState.Running)
        {
            // A crash is known at once: unhealthy now, not after the next probe.
            _healthy = false;
            _detail = change.Reason;
            _trace.Add("agent", $"app {App.Name}: {change.Current.ToString().ToLowerInvariant()}: {change.Reason}");
        }
    }

    private async Task HealthLoopAsync()
    {
        var rule = HealthRule.ForPath(App.HealthPath, "healthPath", App.HealthStatus).ToCheckOptions(_interval, ProbeTimeout, rise: 1, fall: 1);
        var token = _stop.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (_instance!.State == InstanceState.Running)
                {
                    var result = await _probe.ProbeAsync(_instance.Address, rule, token).ConfigureAwait(false);
                    var healthy = result.Healthy && _instance.State == InstanceState.Running;
                    if (healthy != _healthy)
                    {
                        _trace.Add("agent", $"app {App.Name}: {(healthy ? "healthy" : "unhealthy")} (GET {App.HealthPath}: {result.Reason})");
                    }

                    _healthy = healthy;
                    // The start-up wait's words for a pass ("GET / answered 200"), so `up` says the same on either path.
                    _detail = healthy && result.StatusCode is { } status
                        ? string.Create(CultureInfo.InvariantCulture, $"GET {App.HealthPath} answered {status}")
                        : $"GET {App.HealthPath}: {result.Reason}";
                    if (result.StatusCode is not null)
                    {
                        var previous = Volatile.Read(ref _probeLatencyMs);
                        var sample = result.Latency.TotalMilliseconds;
                        Volatile.Write(ref _probeLatencyMs, double.IsNaN(previous) ? sample : previous + (0.25 * (sample - previous)));
                    }
                }

                await Task.Delay(_interval, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
