using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.Tcp;

/// <summary>
/// One TCP listener (a port rule): a listening socket per port of its range, each accepting into
/// <see cref="TcpSession"/>s to the listener's farm. Over <c>MaxConnections</c> a connection is accepted and closed
/// at once (counted), so a client learns at once rather than waiting in the backlog.
/// </summary>
internal sealed partial class TcpPortListener : IAsyncDisposable
{
    private readonly BalancerRuntime _runtime;
    private readonly ILogger _logger;
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _accepting = [];
    private readonly ConcurrentDictionary<TcpSession, byte> _sessions = new();
    private readonly CancellationTokenSource _stopping = new();

    private TcpPortListener(string farm, TcpListenerStatistics statistics, BalancerRuntime runtime, ILogger logger)
    {
        Farm = farm;
        Statistics = statistics;
        _runtime = runtime;
        _logger = logger;
    }

    public string Farm { get; }

    public TcpListenerStatistics Statistics { get; }

    /// <summary>The bound addresses, one per port (ephemeral port 0 resolved).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints { get; private set; } = [];

    /// <summary>The connections open now (the sweeper's view).</summary>
    public ICollection<TcpSession> Sessions => _sessions.Keys;

    /// <summary>Binds every port of <paramref name="address"/>; when one cannot be bound, closes what it bound and throws.</summary>
    /// <exception cref="IOException">A port is taken or not allowed (the message names the listener and the port).</exception>
    public static TcpPortListener Bind(TcpListenAddress address, string url, string farm, int maxConnections, BalancerRuntime runtime, ILogger logger)
    {
        var listener = new TcpPortListener(farm, new TcpListenerStatistics(url, farm, maxConnections), runtime, logger);
        var endPoints = new List<IPEndPoint>();
        var port = address.FirstPort;
        try
        {
            for (; port <= address.LastPort; port++)
            {
                var socket = new Socket(address.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                listener._sockets.Add(socket);
                if (address.Address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }

                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(address.Address, port));
                socket.Listen(512);
                endPoints.Add((IPEndPoint)socket.LocalEndPoint!);
            }
        }
        catch (SocketException ex)
        {
            foreach (var socket in listener._sockets)
            {
                socket.Dispose();
            }

            // The same exception type as an HTTP listener's "address already in use", which `webfarm balancer` reports.
            throw new IOException($"TCP listener \"{url}\" cannot listen on {new IPEndPoint(address.Address, port)}: {ex.Message}", ex);
        }

        listener.EndPoints = endPoints;
        return listener;
    }

    public void Start()
    {
        foreach (var socket in _sockets)
        {
            _accepting.Add(AcceptLoopAsync(socket));
        }
    }

    internal void OnClosed(TcpSession session)
    {
        if (_sessions.TryRemove(session, out _))
        {
            Statistics.OnClosed();
        }
    }

    private async Task AcceptLoopAsync(Socket socket)
    {
        var starved = false;
        while (!_stopping.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // Out of descriptors or memory: the client waits in the backlog; pause rather than spin (as the
                // HTTP listener does), and say so once per episode.
                if (!starved)
                {
                    starved = true;
                    Log.AcceptStarved(_logger, Statistics.Listener, ex.SocketErrorCode);
                }

                await Task.Delay(10).ConfigureAwait(false);
                continue;
            }
            catch (SocketException)
            {
                continue; // reset before it was taken: the listener is fine
            }

            if (starved)
            {
                starved = false;
                Log.AcceptResumed(_logger, Statistics.Listener);
            }

            Accept(accepted);
        }
    }

    private void Accept(Socket accepted)
    {
        if (!Statistics.TryOpen())
        {
            accepted.Dispose();
            return;
        }

        TcpSession session;
        try
        {
            accepted.NoDelay = true;
            var remote = (IPEndPoint)accepted.RemoteEndPoint!;
            var local = (IPEndPoint)accepted.LocalEndPoint!;
            session = new TcpSession(EpollSocket.FromAccepted(accepted, _logger), remote, local, this);
        }
        catch (SocketException)
        {
            accepted.Dispose(); // reset between accept and registration
            Statistics.OnClosed();
            return;
        }

        _sessions.TryAdd(session, 0);
        _runtime.Farms.TryGetValue(Farm, out var farm);
        _ = session.RunAsync(farm, _runtime);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        foreach (var task in _accepting)
        {
            await task.ConfigureAwait(false);
        }

        foreach (var session in _sessions.Keys)
        {
            session.Abort();
        }

        _stopping.Dispose();
    }
}
