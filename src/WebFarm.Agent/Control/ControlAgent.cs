using System.Net;
using Microsoft.Extensions.Logging;
using WebFarm.Agent.Apps;
using WebFarm.Agent.Commands;
using WebFarm.Agent.Releases;
using WebFarm.Agent.Supervision;
using WebFarm.Agent.Trace;

namespace WebFarm.Agent.Control;

/// <summary>
/// `webfarm agent`: joins the controller once (with a one-time token; the credential it gets is kept in the data
/// directory, so a restart rejoins as the same server) and then heartbeats every second with the machine's load, its
/// app instances and its new trace messages; each answer carries the apps the controller wants it to run
/// (<see cref="AppSupervisor"/>). The heartbeat loop survives an unreachable controller: it keeps trying, logging
/// once per outage, and the apps keep running.
/// </summary>
public sealed partial class ControlAgent : IAsyncDisposable
{
    /// <summary>Trace messages sent per heartbeat: a full ring (1,000) catches up in 5 s without one huge request.</summary>
    private const int MaxTraceBatch = 200;

    /// <summary>`webfarm run` output lines per heartbeat: 64 K characters of output reach the controller in a few seconds.</summary>
    private const int MaxCommandLines = 1000;

    private readonly ControlAgentOptions _options;
    private readonly ControllerClient _client;
    private readonly LoadSampler _sampler = new();
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly AgentCredential _credential;
    private readonly AppSupervisor _apps;
    private readonly CommandRunner _commands;
    private Task _loop = Task.CompletedTask;
    private long _heartbeats;
    private long _traceAcknowledged;

    private ControlAgent(ControlAgentOptions options, ControllerClient client, AgentCredential credential, string dataDirectory, ILogger logger)
    {
        _options = options;
        _client = client;
        _credential = credential;
        _logger = logger;
        Releases = new ReleaseSync(client, credential.Credential, dataDirectory, options.Limits, options.HeartbeatInterval, logger);
        Trace = new TraceRing();
        _commands = new CommandRunner(options.AllowCommands, Trace);
        _apps = new AppSupervisor(credential.Name, BindAddress(credential.Address), Releases.Installer.ReleasesDirectory, Trace, logger, options.HeartbeatInterval);
        Releases.InUse = _apps.RunningReleases;
    }

    /// <summary>The releases and content sets on this server, kept in step with the controller.</summary>
    public ReleaseSync Releases { get; }

    /// <summary>The last messages of this server (its apps' output lines and the agent's events).</summary>
    public TraceRing Trace { get; }

    /// <summary>The app instances this agent runs, as reported with each heartbeat.</summary>
    public IReadOnlyList<InstanceReport> Instances => _apps.Report();

    /// <summary>Its instances' state changes, named after the server (see <see cref="AppSupervisor.InstanceChanged"/>).</summary>
    public event Action<InstanceStateChange>? InstanceChanged
    {
        add => _apps.InstanceChanged += value;
        remove => _apps.InstanceChanged -= value;
    }

    /// <summary>The server this agent joined as.</summary>
    public string Name => _credential.Name;

    /// <summary>The controller that answered last: the leader, when a pair is given.</summary>
    public Uri Controller => _client.Controller;

    /// <summary>Heartbeats the controller accepted.</summary>
    public long HeartbeatsAccepted => Interlocked.Read(ref _heartbeats);

    /// <summary>
    /// Joins (or, with a stored credential, rejoins) and sends the first heartbeat, then heartbeats in the background.
    /// </summary>
    /// <exception cref="DataDirectoryException">The data directory cannot be written.</exception>
    /// <exception cref="AgentRefusedException">The controller refused the token or the stored credential.</exception>
    /// <exception cref="ArgumentException">No stored credential and no join token, or a credential for another server.</exception>
    /// <exception cref="HttpRequestException">The controller cannot be reached for the first join.</exception>
    public static async Task<ControlAgent> StartAsync(ControlAgentOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var dataDirectory = DataDirectory.EnsureWritable(options.DataDirectory, "--data-dir");
        var client = new ControllerClient(options.Controllers, options.RequestTimeout);
        try
        {
            var credential = AgentCredential.Load(dataDirectory);
            if (credential is not null && !string.Equals(credential.Name, options.Name, StringComparison.Ordinal))
            {
                throw new ArgumentException($"--data-dir {dataDirectory} holds the credential of server '{credential.Name}', not '{options.Name}': use that name, another --data-dir, or remove {AgentCredential.PathIn(dataDirectory)} to join anew.");
            }

            if (credential is null)
            {
                if (string.IsNullOrEmpty(options.JoinToken))
                {
                    throw new ArgumentException($"--join-token is required: this agent has not joined yet (no {AgentCredential.PathIn(dataDirectory)}). Get one with `webfarm agents token` on the controller.");
                }

                var joined = await client.JoinAsync(new JoinRequest(options.JoinToken, options.Name, options.Address), cancellationToken).ConfigureAwait(false);
                credential = new AgentCredential(joined.Name, joined.Address, joined.Credential);
                credential.Save(dataDirectory);
                Log.Joined(logger, client.Controller, joined.Name, joined.Address);
            }
            else
            {
                if (!string.IsNullOrEmpty(options.JoinToken))
                {
                    Log.AlreadyJoined(logger, credential.Name, AgentCredential.PathIn(dataDirectory));
                }

                if (!string.Equals(credential.Address, options.Address, StringComparison.Ordinal))
                {
                    Log.AddressDiffers(logger, options.Address, credential.Address);
                }
            }

            var agent = new ControlAgent(options, client, credential, dataDirectory, logger);
            try
            {
                await agent.HeartbeatOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (AgentRefusedException ex) when (ex.StatusCode == 401)
            {
                await agent._apps.DisposeAsync().ConfigureAwait(false);
                throw new AgentRefusedException(401, $"{ex.Message}. The controller no longer knows server '{credential.Name}': remove {AgentCredential.PathIn(dataDirectory)} and join again with a new --join-token.");
            }
            catch
            {
                await agent._apps.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            Log.Heartbeating(logger, client.Controller, options.HeartbeatInterval, credential.Name);
            agent._loop = agent.RunAsync();
            agent.Releases.Start();
            return agent;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Releases.DisposeAsync().ConfigureAwait(false);
        await _apps.DisposeAsync().ConfigureAwait(false); // Stops every instance (SIGTERM, then SIGKILL after the timeout).
        _client.Dispose();
        _stop.Dispose();
    }

    private async Task HeartbeatOnceAsync(CancellationToken cancellationToken)
    {
        var acknowledged = Interlocked.Read(ref _traceAcknowledged);
        var (lines, results) = _commands.Outgoing(MaxCommandLines);
        var request = new HeartbeatRequest(_sampler.Sample(), _apps.Report(), _apps.AppliedVersion, Trace.Since(acknowledged, MaxTraceBatch), _options.AllowCommands, results, _options.Labels, lines);
        var response = await _client.HeartbeatAsync(_credential.Credential, request, cancellationToken).ConfigureAwait(false);
        _commands.Sent(lines, results);
        _commands.Accept(response.Commands);
        Interlocked.Exchange(ref _traceAcknowledged, response.TraceReceived);
        if (response.TraceClearUpTo is { } clear)
        {
            Trace.Clear(clear);
        }

        if (response.AppsVersion is { } version)
        {
            _apps.Desire(version, response.Apps ?? []);
        }

        Interlocked.Increment(ref _heartbeats);
    }

    /// <summary>
    /// Where app instances listen: the address this server joined with when it is an IP address (the balancer
    /// reaches them there), else every address.
    /// </summary>
    private static IPAddress BindAddress(string address)
        => Uri.TryCreate(address, UriKind.Absolute, out var uri) && IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? ip : IPAddress.Any;

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        string? outage = null;
        while (true)
        {
            try
            {
                if (!await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                {
                    return;
                }

                var before = _client.Controller;
                await HeartbeatOnceAsync(_stop.Token).ConfigureAwait(false);
                if (_client.Controller != before)
                {
                    Log.FollowingLeader(_logger, _client.Controller, before);
                }

                if (outage is not null)
                {
                    Trace.Add("agent", $"controller {_client.Controller} accepts heartbeats again");
                    Log.HeartbeatsAccepted(_logger, _client.Controller);
                    outage = null;
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or AgentRefusedException or OperationCanceledException)
            {
                // Logged once per outage: the loop keeps trying every second, and the apps (later) keep running.
                var reason = ex is OperationCanceledException ? $"no answer within {_options.RequestTimeout}" : ex.Message;
                if (outage is null)
                {
                    Trace.Add("agent", $"heartbeat to {_client.Controller} failed: {reason}; the apps keep running");
                    Log.HeartbeatFailed(_logger, _client.Controller, reason, _options.HeartbeatInterval);
                }

                outage = reason;
            }
        }
    }
}
