using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using WebFarm.Agent.Control;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Hosting;
using WebFarm.Controller.Releases;
using WebFarm.Controller.Rotation;
using WebFarm.Controller.Store;
using WebFarm.Controller.Trace;

namespace WebFarm.Controller.Agents;

/// <summary>
/// The joined servers and their agents: one-time join tokens, credentials, heartbeats, lost detection
/// (<see cref="ControllerOptions.MissedHeartbeats"/> missed → event failed, out of rotation; back → rejoined) and
/// readiness (a server's address must pass the farm's health check before <see cref="FarmRotation"/> takes it in).
/// Events go to the in-process balancer's stream, so the farm has one stream in one shape.
/// </summary>
public sealed class AgentRegistry : IAsyncDisposable
{
    private const string JoinTokenPrefix = "wfj_";
    private const string CredentialPrefix = "wfa_";

    private readonly IControllerStore _store;
    private readonly FarmRotation _rotation;
    private readonly ControllerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly AppCatalog _apps;
    private readonly InstanceRotation _instances;
    private readonly ReleaseLibrary _releases;
    private readonly TraceStore _trace;
    private readonly ConcurrentDictionary<string, TrackedServer> _byName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TrackedServer> _byCredential = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _monitor = Task.CompletedTask;

    public AgentRegistry(IControllerStore store, FarmRotation rotation, AppCatalog apps, ReleaseLibrary releases, TraceStore trace, ControllerOptions options, ILogger logger, TimeProvider? time = null)
    {
        _store = store;
        _rotation = rotation;
        _apps = apps;
        _instances = new InstanceRotation(rotation, apps, releases);
        _releases = releases;
        _trace = trace;
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    private TimeSpan LostAfter => _options.HeartbeatInterval * _options.MissedHeartbeats;

    /// <summary>Tracks the servers already in the store (each gets a full heartbeat window to show up) and starts lost detection.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        foreach (var record in await _store.ListServersAsync(cancellationToken).ConfigureAwait(false))
        {
            var server = new TrackedServer(record.Name, record.Address, record.JoinedAt, now) { Load = record.Load, Labels = record.Labels ?? ServerLabels.None };
            _byName[record.Name] = server;
            _byCredential[Convert.ToHexString(record.CredentialHash)] = server;
        }

        _monitor = MonitorAsync();
    }

    /// <summary>A new one-time join token (only its hash is stored).</summary>
    public async Task<(string Token, DateTimeOffset Expires)> CreateJoinTokenAsync(CancellationToken cancellationToken)
    {
        var token = NewSecret(JoinTokenPrefix);
        var now = _time.GetUtcNow();
        var expires = now + _options.JoinTokenLifetime;
        await _store.AddJoinTokenAsync(Hash(token), now, expires, cancellationToken).ConfigureAwait(false);
        return (token, expires);
    }

    /// <exception cref="AgentRefusal">400 for a bad name or address, 401 for a bad token, 409 for a taken name.</exception>
    public async Task<JoinResponse> JoinAsync(JoinRequest request, CancellationToken cancellationToken)
    {
        var problems = ConfigValidator.ValidateServer(new ServerOptions { Name = request.Name, Address = request.Address });
        if (problems.Count > 0)
        {
            throw new AgentRefusal(400, $"{char.ToLowerInvariant(problems[0].Key[0])}{problems[0].Key[1..]}: {problems[0].Reason}");
        }

        var credential = NewSecret(CredentialPrefix);
        var credentialHash = Hash(credential);
        var now = _time.GetUtcNow();
        var outcome = await _store.JoinAsync(Hash(request.JoinToken), new ServerRecord(request.Name, request.Address, credentialHash, now, null, null), cancellationToken).ConfigureAwait(false);
        switch (outcome)
        {
            case JoinOutcome.TokenUnknown:
                throw new AgentRefusal(401, "the join token is not valid (not issued by this controller); get one with `webfarm agents token`");
            case JoinOutcome.TokenUsed:
                throw new AgentRefusal(401, "the join token was already used (join tokens are one-time); get a new one with `webfarm agents token`");
            case JoinOutcome.TokenExpired:
                throw new AgentRefusal(401, "the join token has expired; get a new one with `webfarm agents token`");
            case JoinOutcome.NameTaken:
                throw new AgentRefusal(409, $"name: a server named '{request.Name}' has already joined; choose another --name (the join token was not used)");
        }

        var server = new TrackedServer(request.Name, request.Address, now, now);
        _byName[server.Name] = server;
        _byCredential[Convert.ToHexString(credentialHash)] = server;
        _logger.LogInformation("Server {Name} ({Address}) joined", server.Name, server.Address);
        return new JoinResponse(server.Name, server.Address, credential);
    }

    /// <summary>
    /// Records a heartbeat: load, app instances (healthy ones come into their app's farm), trace messages; answers
    /// with the server's state, the apps it should run and how much of its trace the controller holds.
    /// </summary>
    /// <param name="trustedProxies">The controller's own address on the heartbeat's connection: the apps' trusted proxy
    /// when the route to the server cannot be read (see <see cref="TrustedBalancerAddresses"/>).</param>
    /// <exception cref="AgentRefusal">401 when the credential is missing or unknown.</exception>
    public async Task<HeartbeatResponse> HeartbeatAsync(string? credential, HeartbeatRequest heartbeat, string trustedProxies, CancellationToken cancellationToken)
    {
        var server = Authenticate(credential);
        var labels = heartbeat.Labels ?? ServerLabels.None;
        if (ServerLabels.Check(labels) is { } labelProblem)
        {
            throw new AgentRefusal(400, $"labels: {labelProblem}");
        }

        var now = _time.GetUtcNow();
        AgentState state;
        bool labelsChanged;
        lock (server.Lock)
        {
            labelsChanged = !SameLabels(server.Labels, labels);
            if (labelsChanged)
            {
                // Placement reads them from here on: the answer below already lists the apps they select.
                server.Labels = labels;
            }

            var silence = now - server.LastHeartbeat;
            server.LastHeartbeat = now;
            server.HeartbeatSeen = true;
            server.Load = heartbeat.Load;
            server.AllowCommands = heartbeat.AllowCommands;
            if (server.State == AgentState.Lost)
            {
                server.State = AgentState.Joined;
                Publish(server, EventKind.Rejoined, $"server {server.Name} rejoined: its agent heartbeats again after {Seconds(silence)}; back in rotation once {_rotation.Health.Path} passes or its apps report healthy");
                StartReadiness(server);
            }
            else if (server.State == AgentState.Joined && server.Readiness is null)
            {
                StartReadiness(server);
            }

            var added = _instances.Observe(server, heartbeat.Instances ?? []);
            if (added.Count > 0)
            {
                _logger.LogInformation("Server {Name} is ready for load balancing in app(s) {Apps}", server.Name, string.Join(", ", added));
            }

            if (server.State == AgentState.Joined && server.InRotation.Count > 0)
            {
                // Its apps serve: ready, whatever its own --address does (the readiness loop probes that one).
                server.Readiness?.Cancel();
                server.Readiness = null;
                server.State = AgentState.Ready;
                server.Detail = $"in rotation for app(s) {string.Join(", ", server.InRotation.Order(StringComparer.Ordinal))} since {FarmEventJson.FormatTime(now)}";
            }

            state = server.State;
        }

        await _store.RecordHeartbeatAsync(server.Name, now, heartbeat.Load, cancellationToken).ConfigureAwait(false);
        if (labelsChanged)
        {
            await _store.SetLabelsAsync(server.Name, labels, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Server {Name} has the labels {Labels}", server.Name, ServerLabels.Format(labels));
        }

        var received = _trace.Receive(server.Name, heartbeat.Trace);
        var (version, apps) = _apps.DesiredFor(server.Name, labels, _rotation.TrustedProxies.For(server.Address, trustedProxies));
        var commands = Commands?.Exchange(server.Name, heartbeat.CommandResults, heartbeat.CommandOutput);
        return new HeartbeatResponse(server.Name, StateName(state), version, apps, received, _trace.ClearedUpTo(server.Name), commands);
    }

    /// <summary>The name of the server whose agent holds <paramref name="credential"/>.</summary>
    /// <exception cref="AgentRefusal">401 when the credential is missing or unknown.</exception>
    public string AuthenticateAgent(string? credential) => Authenticate(credential).Name;

    /// <summary>The releases <paramref name="server"/> may be asked to run (<see cref="Deployments.ReleasePlacement.PlacedOn"/>).</summary>
    public List<WebFarm.Agent.Releases.TreeRef> PlacedReleases(string server) => _apps.Releases.PlacedOn(server);

    /// <summary>`webfarm run`'s commands, exchanged with each heartbeat (set once at start-up).</summary>
    internal Commands.CommandDispatcher? Commands { get; set; }

    /// <summary>The joined servers' names.</summary>
    public IReadOnlyCollection<string> Names => [.. _byName.Keys];

    /// <summary>A joined server, null when none has that name.</summary>
    internal TrackedServer? Find(string name) => _byName.GetValueOrDefault(name);

    internal InstanceRotation Instances => _instances;

    /// <summary>The CPU % its agent last reported for <paramref name="name"/>'s machine; null when unknown or lost.</summary>
    public double? CpuPercentOf(string name)
    {
        if (!_byName.TryGetValue(name, out var server))
        {
            return null;
        }

        lock (server.Lock)
        {
            return server.State == AgentState.Lost ? null : server.Load?.CpuPercent;
        }
    }

    public IReadOnlyList<AgentInfo> List()
    {
        var list = new List<AgentInfo>(_byName.Count);
        foreach (var server in _byName.Values)
        {
            lock (server.Lock)
            {
                list.Add(server.ToInfo());
            }
        }

        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    private TrackedServer Authenticate(string? credential)
    {
        if (string.IsNullOrEmpty(credential) || !_byCredential.TryGetValue(Convert.ToHexString(Hash(credential)), out var server))
        {
            throw new AgentRefusal(401, "unknown agent credential (Authorization: Bearer <credential from the join>); join again with a new join token");
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _monitor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var server in _byName.Values)
        {
            lock (server.Lock)
            {
                server.Readiness?.Cancel();
            }
        }

        _stop.Dispose();
    }

    private async Task MonitorAsync()
    {
        // Checked five times per heartbeat period, so a lost server is noticed at most 1/5 period late.
        using var timer = new PeriodicTimer(_options.HeartbeatInterval / 5, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var now = _time.GetUtcNow();
                foreach (var server in _byName.Values)
                {
                    lock (server.Lock)
                    {
                        var silence = now - server.LastHeartbeat;
                        if (server.State != AgentState.Lost && silence > LostAfter)
                        {
                            MarkLost(server, silence);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    // Called under server.Lock.
    private void MarkLost(TrackedServer server, TimeSpan silence)
    {
        var wasReady = server.State == AgentState.Ready;
        server.State = AgentState.Lost;
        server.Readiness?.Cancel();
        server.Readiness = null;
        server.Detail = server.HeartbeatSeen ? $"no heartbeat since {FarmEventJson.FormatTime(server.LastHeartbeat)}" : "no heartbeat since the controller started";
        Publish(server, EventKind.Failed, $"server {server.Name} failed: its agent is lost (no heartbeat for {Seconds(silence)}, {_options.MissedHeartbeats} missed){(wasReady ? "; taken out of rotation" : string.Empty)}");
        _rotation.TakeOut(server.Name);
        _instances.TakeAllOut(server);
    }

    // Called under server.Lock.
    private void StartReadiness(TrackedServer server)
    {
        server.Readiness?.Cancel();
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        server.Readiness = cancel;
        server.Detail = $"waiting for {_rotation.Health.Path} to pass";
        _ = Task.Run(() => ReadinessAsync(server, cancel));
    }

    private async Task ReadinessAsync(TrackedServer server, CancellationTokenSource cancel)
    {
        var token = cancel.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var result = await _rotation.ProbeAsync(server.Address, token).ConfigureAwait(false);
                lock (server.Lock)
                {
                    if (token.IsCancellationRequested || server.State != AgentState.Joined)
                    {
                        return;
                    }

                    var lacking = result.Healthy ? _releases.LacksContent(server.Name) : null;
                    if (result.Healthy && lacking is null)
                    {
                        _rotation.BringIn(server.Name, server.Address);
                        server.State = AgentState.Ready;
                        server.Readiness = null;
                        server.Detail = $"in rotation since {FarmEventJson.FormatTime(_time.GetUtcNow())} ({_rotation.Health.Path}: {result.Reason})";
                        _logger.LogInformation("Server {Name} is ready for load balancing", server.Name);
                        return;
                    }

                    server.Detail = lacking is null ? $"not in rotation yet: {result.Url} {result.Reason}" : $"not in rotation yet: {lacking}";
                }

                await Task.Delay(_options.HeartbeatInterval, _time, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Lost or stopping meanwhile.
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Readiness check of server {Name} failed", server.Name);
        }
        finally
        {
            // Cancel() is only called under the lock on the current Readiness, so detaching it first makes disposing safe.
            lock (server.Lock)
            {
                if (ReferenceEquals(server.Readiness, cancel))
                {
                    server.Readiness = null;
                }
            }

            cancel.Dispose();
        }
    }

    private void Publish(TrackedServer server, EventKind kind, string message)
        => _rotation.Runtime.Events.Publish(_rotation.FarmName, server.Name, kind, message);

    private static bool SameLabels(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b)
        => a.Count == b.Count && ServerLabels.Match(a, b);

    private static string StateName(AgentState state) => state.ToString().ToLowerInvariant();

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.0} s");

    private static string NewSecret(string prefix) => prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
