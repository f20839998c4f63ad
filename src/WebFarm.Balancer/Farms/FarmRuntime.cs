using System.Buffers;
using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Statistics;

namespace WebFarm.Balancer.Farms;

/// <summary>
/// One farm at run time. The object lives as long as the farm stays in the configuration; what changes
/// (options, server list, policy, transport) is an immutable <see cref="FarmView"/> swapped atomically.
/// </summary>
public sealed class FarmRuntime
{
    private FarmView _view = null!;
    private int _panic;

    internal FarmRuntime(string name, BalancerMetrics? metrics)
    {
        Name = name;
        Statistics = new FarmStatistics(name, metrics);
    }

    public string Name { get; }

    public FarmOptions Options => View.Options;

    /// <summary>The servers in configuration order (servers added through the API come last).</summary>
    public IReadOnlyList<ServerRuntime> Servers => View.Servers;

    public FarmStatistics Statistics { get; }

    public ILoadBalancingPolicy Policy => View.Policy;

    /// <summary>Sticky sessions; null when the farm has none.</summary>
    public IAffinityProvider? Affinity => View.Affinity;

    /// <summary>Live-traffic health; null when the farm has none.</summary>
    public IPassiveHealthObserver? PassiveHealth => View.PassiveHealth;

    /// <summary>True while fewer servers are healthy than MinimumHealthyServers (every non-offline server takes traffic).</summary>
    public bool InPanic => Volatile.Read(ref _panic) != 0;

    internal FarmView View => Volatile.Read(ref _view);

    internal void SetView(FarmView view) => Volatile.Write(ref _view, view);

    public ServerRuntime? FindServer(string name)
    {
        foreach (var server in View.Servers)
        {
            if (string.Equals(server.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return server;
            }
        }

        return null;
    }

    /// <summary>
    /// Chooses a server for a request: the candidates (<see cref="SelectCandidates"/>) in a pooled buffer, then the
    /// policy through <paramref name="chooser"/>. Null when no server may take the request.
    /// </summary>
    internal ServerRuntime? Choose<TChooser>(FarmView view, ReadOnlySpan<ServerRuntime?> excluded, EventStream events, TChooser chooser)
        where TChooser : struct, ICandidateChooser
    {
        var servers = view.Servers;
        if (servers.Length == 0)
        {
            return null;
        }

        var buffer = ArrayPool<ServerRuntime>.Shared.Rent(servers.Length);
        try
        {
            var count = SelectCandidates(view, buffer, excluded, events);
            return count == 0 ? null : chooser.Choose(buffer.AsSpan(0, count));
        }
        finally
        {
            // Clear so the pool does not keep removed servers alive.
            ArrayPool<ServerRuntime>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> with the servers that may take a new request: available primaries,
    /// else available backups; in panic (fewer healthy than the minimum) every Online server regardless of
    /// health. Servers in <paramref name="excluded"/> (already failed for this request) are skipped.
    /// </summary>
    internal int SelectCandidates(FarmView view, Span<ServerRuntime> buffer, ReadOnlySpan<ServerRuntime?> excluded, EventStream events)
    {
        var servers = view.Servers;
        if (EvaluatePanic(view, events))
        {
            var n = Collect(servers, buffer, excluded, backup: false, panic: true);
            return n > 0 ? n : Collect(servers, buffer, excluded, backup: true, panic: true);
        }

        var count = Collect(servers, buffer, excluded, backup: false, panic: false);
        return count > 0 ? count : Collect(servers, buffer, excluded, backup: true, panic: false);
    }

    /// <summary>
    /// Decides, from the servers' health now, whether the farm is in panic (fewer healthy servers than
    /// MinimumHealthyServers), raising panic-entered/left on a change. Decided on the request path, so that no
    /// timer is needed and the answer is never staler than the request asking.
    /// </summary>
    internal bool EvaluatePanic(FarmView view, EventStream events)
    {
        var minimum = view.Options.MinimumHealthyServers;
        if (minimum <= 0)
        {
            return false;
        }

        var healthy = 0;
        foreach (var s in view.Servers)
        {
            if (s.IsAvailable)
            {
                healthy++;
            }
        }

        if (healthy < minimum)
        {
            if (Interlocked.Exchange(ref _panic, 1) == 0)
            {
                events.Publish(Name, null, EventKind.PanicEntered, $"only {healthy} healthy server(s), fewer than the minimum {minimum}: sending traffic to every server that is online");
            }

            return true;
        }

        if (Interlocked.Exchange(ref _panic, 0) == 1)
        {
            events.Publish(Name, null, EventKind.PanicLeft, $"{healthy} healthy server(s), at least the minimum {minimum}: back to healthy servers only");
        }

        return false;
    }

    private static int Collect(ServerRuntime[] servers, Span<ServerRuntime> buffer, ReadOnlySpan<ServerRuntime?> excluded, bool backup, bool panic)
    {
        var count = 0;
        foreach (var s in servers)
        {
            if (s.Backup != backup)
            {
                continue;
            }

            var usable = panic ? s.State == ServerState.Online && s.Weight > 0 : s.IsAvailable;
            if (usable && !Contains(excluded, s))
            {
                buffer[count++] = s;
            }
        }

        return count;
    }

    private static bool Contains(ReadOnlySpan<ServerRuntime?> excluded, ServerRuntime server)
    {
        foreach (var e in excluded)
        {
            if (ReferenceEquals(e, server))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => Name;
}
