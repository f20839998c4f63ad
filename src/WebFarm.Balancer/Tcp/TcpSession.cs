using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Pipeline;
using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.Tcp;

/// <summary>
/// One client connection of a TCP listener: the server is chosen by the request pipeline's choose stage (affinity,
/// candidates, policy), a failed connect tries the next server (the farm's Retries.MaxAttempts in all), then the
/// bytes are relayed both ways until both sides have closed. Each direction ends on its own: a FIN from one side is
/// passed on as a FIN (shutdown) and the other direction keeps flowing (half-close). A reset or error on either side
/// closes both. Backpressure is the kernel's: a direction sends a chunk completely before it reads the next one.
/// </summary>
internal sealed class TcpSession : IChoosingClient
{
    /// <summary>
    /// Bytes moved per system call. 64 KiB, a quarter of the calls HAProxy's default 16 KiB buffers make on a bulk
    /// transfer; the relay spent 0.52 s of CPU per GiB where HAProxy spent 0.66 (docs/benchmarks.md, "TCP port rules").
    /// Buffers come from the shared pool, taken only while a side has bytes to read, so an idle connection holds none.
    /// </summary>
    internal const int ChunkSize = 64 * 1024;

    private readonly EpollSocket _client;
    private readonly TcpPortListener _listener;
    private readonly IPEndPoint _clientEndPoint;
    private readonly IPEndPoint _localEndPoint;
    private EpollSocket? _upstream;
    private ServerRuntime? _server;
    private long _lastActivity;
    private int _closing;

    public TcpSession(EpollSocket client, IPEndPoint clientEndPoint, IPEndPoint localEndPoint, TcpPortListener listener)
    {
        _client = client;
        _clientEndPoint = clientEndPoint;
        _localEndPoint = localEndPoint;
        _listener = listener;
        RemoteAddress = clientEndPoint.Address.IsIPv4MappedToIPv6 ? clientEndPoint.Address.MapToIPv4() : clientEndPoint.Address;
        Touch();
    }

    public IPAddress? RemoteAddress { get; }

    public bool IsHttps => false;

    /// <summary>The server this connection is relayed to (null while it is being chosen or connected).</summary>
    public ServerRuntime? Server => Volatile.Read(ref _server);

    /// <summary>Milliseconds since a byte last moved either way (or since the connection was accepted).</summary>
    public long IdleMilliseconds => Environment.TickCount64 - Volatile.Read(ref _lastActivity);

    public int CopyCookie(string name, Span<char> destination) => -1;

    public void SetAffinityCookie(string setCookie)
    {
    }

    public ServerRuntime? Choose(ILoadBalancingPolicy policy, ReadOnlySpan<ServerRuntime> candidates) => policy switch
    {
        IRequestIndependentPolicy independent => independent.Choose(candidates),
        IClientAddressPolicy byAddress => byAddress.Choose(RemoteAddress, candidates),
        _ => null, // the validator refuses policies that read an HTTP request on TCP farms
    };

    /// <summary>Closes both sides at once (idle timeout, drain timeout, server offline, shutdown); safe from any thread.</summary>
    public void Abort()
    {
        Interlocked.Exchange(ref _closing, 1);
        _client.Dispose();
        Volatile.Read(ref _upstream)?.Dispose();
    }

    public async Task RunAsync(FarmRuntime? farm, BalancerRuntime runtime)
    {
        ServerRuntime? server = null;
        ServerConcurrencyGate? gate = null;
        try
        {
            if (farm is not null)
            {
                (server, gate) = await ConnectAsync(farm, runtime).ConfigureAwait(false);
            }

            if (server is null)
            {
                _listener.Statistics.OnNoServer();
                farm?.Statistics.RecordNoServerAvailable();
                return;
            }

            var proxy = farm!.View.Options.ProxyProtocol;
            if (proxy != ProxyProtocolVersion.None)
            {
                var header = ArrayPool<byte>.Shared.Rent(ProxyProtocolHeader.MaxLength);
                try
                {
                    var length = ProxyProtocolHeader.Write(proxy, _clientEndPoint, _localEndPoint, header);
                    await _upstream!.SendAsync(header.AsMemory(0, length)).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(header);
                }
            }

            var passive = farm.View.PassiveHealth;
            var upstream = _upstream!;
            var toServer = RelayAsync(_client, upstream, server, toServer: true, passive);
            var toClient = RelayAsync(upstream, _client, server, toServer: false, passive);
            await toServer.ConfigureAwait(false);
            await toClient.ConfigureAwait(false);
        }
        catch (SocketException)
        {
            // The PROXY header could not be sent: the server went away at once. Both sides close below.
        }
        finally
        {
            Abort();
            if (server is not null)
            {
                gate?.Release();
                runtime.OnRequestEnded(server);
            }

            _listener.OnClosed(this);
        }
    }

    /// <summary>Chooses and connects, trying the next server after a failed connect; null when none could be reached.</summary>
    private async Task<(ServerRuntime? Server, ServerConcurrencyGate? Gate)> ConnectAsync(FarmRuntime farm, BalancerRuntime runtime)
    {
        var view = farm.View;
        var attempts = view.Options.Retries.MaxAttempts;
        var tried = new ServerRuntime?[attempts];
        var lookup = AffinityLookup.Unbound;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            var outcome = ChooseStage.Choose(this, farm, view, view.Policy, attempt, ref lookup, tried, runtime.Events, out var server);
            if (outcome != ChoiceOutcome.Chosen || server is null)
            {
                return (null, null);
            }

            tried[attempt - 1] = server;
            var gate = server.Gate;
            if (gate is not null)
            {
                var limits = view.Options.Limits;
                var entered = await gate.EnterAsync(limits.QueueLength, limits.QueueTimeout, CancellationToken.None).ConfigureAwait(false);
                if (entered != GateResult.Entered)
                {
                    farm.Statistics.RecordQueueRejection();
                    continue;
                }
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                using var timeout = new CancellationTokenSource(view.Options.Timeouts.Connect);
                var socket = await EpollSocket.ConnectAsync(EndPointOf(server.Address), timeout.Token).ConfigureAwait(false);
                server.IncrementInFlight();
                server.Statistics.RecordConnection();
                Volatile.Write(ref _upstream, socket);
                Volatile.Write(ref _server, server);
                if (Volatile.Read(ref _closing) != 0)
                {
                    socket.Dispose(); // aborted (shutdown) while connecting
                }

                Touch();
                return (server, gate);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                gate?.Release();
                server.Statistics.RecordTransportFailure(Stopwatch.GetElapsedTime(started));
                view.PassiveHealth?.OnTransportFailure(server, ex is OperationCanceledException ? new TimeoutException("connect timed out") : ex);
                if (Volatile.Read(ref _closing) != 0)
                {
                    return (null, null);
                }
            }
        }

        return (null, null);
    }

    /// <summary>
    /// Copies one direction until its end of stream (then passes the FIN on) or an error (then closes both). Waits for
    /// bytes without a buffer and sends each chunk whole before reading the next, so a slow reader holds back the writer.
    /// </summary>
    private async Task RelayAsync(EpollSocket from, EpollSocket to, ServerRuntime server, bool toServer, IPassiveHealthObserver? passive)
    {
        byte[]? buffer = null;
        var receiving = true;
        try
        {
            while (true)
            {
                receiving = true;
                await from.WaitUntilReceivableAsync().ConfigureAwait(false);
                buffer ??= ArrayPool<byte>.Shared.Rent(ChunkSize);
                var received = await from.ReceiveAsync(buffer).ConfigureAwait(false);
                if (received == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                Touch();
                receiving = false;
                await to.SendAsync(buffer.AsMemory(0, received)).ConfigureAwait(false);
                if (toServer)
                {
                    server.Statistics.AddBytesIn(received);
                }
                else
                {
                    server.Statistics.AddBytesOut(received);
                }

                if (received < buffer.Length)
                {
                    // The socket is drained: give the buffer back while waiting, so an idle connection holds none.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (SocketException ex)
        {
            // A reset by the server (not one this balancer caused by closing) counts against it, as in HTTP farms.
            var serverSide = receiving != toServer;
            if (Interlocked.Exchange(ref _closing, 1) == 0 && serverSide && ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                passive?.OnTransportFailure(server, ex);
            }

            Abort();
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private void Touch() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    private static EndPoint EndPointOf(Uri address)
        => IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip) ? new IPEndPoint(ip, address.Port) : new DnsEndPoint(address.IdnHost, address.Port);
}
