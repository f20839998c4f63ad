using System.Net;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Tcp;

/// <summary>
/// The balancer's TCP listeners (port rules, docs/tcp.md): binds them at start, and once a second closes the
/// connections that a timeout ends: idle longer than their farm's <c>Timeouts.Idle</c>, or relayed to a server that
/// has been Draining longer than the farm's <c>Affinity.DrainTimeout</c> or was set Offline. The settings are read
/// from the farm's current view at each sweep, so a reload applies to open connections too.
/// </summary>
internal sealed class TcpFrontEnd : IAsyncDisposable
{
    /// <summary>How often timeouts are checked: a timeout ends a connection up to this much after it passed.</summary>
    internal static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly BalancerRuntime _runtime;
    private readonly TcpPortListener[] _listeners;
    private readonly Timer _sweeper;

    private TcpFrontEnd(BalancerRuntime runtime, TcpPortListener[] listeners)
    {
        _runtime = runtime;
        _listeners = listeners;
        _sweeper = new Timer(static s => ((TcpFrontEnd)s!).Sweep(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Every bound port of every TCP listener, in configuration order.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints
    {
        get
        {
            var list = new List<IPEndPoint>();
            foreach (var listener in _listeners)
            {
                list.AddRange(listener.EndPoints);
            }

            return list;
        }
    }

    /// <summary>Binds the TCP listeners of <paramref name="listen"/> (validated) and starts accepting.</summary>
    /// <exception cref="IOException">A port is taken (nothing stays bound; the message names the listener and the port).</exception>
    public static TcpFrontEnd Start(IReadOnlyList<ListenEndpoint> listen, BalancerRuntime runtime, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger("WebFarm.Tcp");
        var listeners = new List<TcpPortListener>();
        try
        {
            foreach (var endpoint in listen)
            {
                if (endpoint.Protocol != TrafficProtocol.Tcp)
                {
                    continue;
                }

                if (!TcpListenAddress.TryParse(endpoint.Url, out var address, out var error))
                {
                    throw new ConfigException([new ConfigError(null, "$.Listen", error)]);
                }

                listeners.Add(TcpPortListener.Bind(address, endpoint.Url, endpoint.Farm!, endpoint.MaxConnections, runtime, logger));
            }
        }
        catch
        {
            foreach (var listener in listeners)
            {
                listener.DisposeAsync().AsTask().GetAwaiter().GetResult(); // nothing accepted yet: completes at once
            }

            throw;
        }

        var frontEnd = new TcpFrontEnd(runtime, [.. listeners]);
        runtime.TcpListeners = [.. listeners.Select(l => l.Statistics)];
        foreach (var listener in listeners)
        {
            listener.Start();
        }

        if (listeners.Count > 0)
        {
            frontEnd._sweeper.Change(SweepInterval, SweepInterval);
        }

        return frontEnd;
    }

    private void Sweep()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var listener in _listeners)
        {
            if (!_runtime.Farms.TryGetValue(listener.Farm, out var farm))
            {
                continue;
            }

            var options = farm.View.Options;
            var idleLimit = (long)options.Timeouts.Idle.TotalMilliseconds;
            foreach (var session in listener.Sessions)
            {
                var server = session.Server;
                if (server is not null && (server.State == ServerState.Offline
                    || (server.State == ServerState.Draining && server.DrainingSince is { } since && now - since >= options.Affinity.DrainTimeout)))
                {
                    listener.Statistics.OnDrainClosed();
                    session.Abort();
                }
                else if (session.IdleMilliseconds >= idleLimit)
                {
                    listener.Statistics.OnIdleClosed();
                    session.Abort();
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        _runtime.TcpListeners = [];
    }
}
