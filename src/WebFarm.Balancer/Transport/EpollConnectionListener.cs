using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Transport;

/// <summary>One bound listening socket of the epoll transport.</summary>
internal sealed partial class EpollConnectionListener : IConnectionListener
{
    private readonly Socket _listener;
    private readonly ConnectionPipeOptions _pipeOptions;
    private readonly ILogger _logger;

    // Accepting is paused for lack of descriptors or memory; reported once per episode, not once per retry.
    private bool _starved;

    public EpollConnectionListener(Socket listener, PinnedBlockPool pool, ILogger logger)
    {
        _listener = listener;
        _pipeOptions = new ConnectionPipeOptions(pool);
        _logger = logger;
        EndPoint = listener.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return null; // Unbound.
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted)
            {
                return null;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // Out of descriptors or memory: the connection waits in the backlog. Retrying at once would spin a
                // core until something closes, so pause briefly (as a client would retry). An operator needs to know
                // (raise `ulimit -n`), once per episode.
                if (!_starved)
                {
                    _starved = true;
                    Log.AcceptStarved(_logger, EndPoint, ex.SocketErrorCode, ex);
                }

                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (SocketException)
            {
                // The client reset the connection before we took it (ECONNABORTED) or a similar per-connection
                // failure: the listener is fine, take the next one.
                continue;
            }

            if (_starved)
            {
                _starved = false;
                Log.AcceptResumed(_logger, EndPoint);
            }

            try
            {
                accepted.NoDelay = true;
                // Its loops start when Kestrel's pipeline first reads its transport, so an https listener's TLS step can
                // take the socket first (EpollConnection.TakeSocket).
                return new EpollConnection(EpollSocket.FromAccepted(accepted, _logger), _pipeOptions);
            }
            catch (SocketException)
            {
                // Reset between accept and registration.
                accepted.Dispose();
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _listener.Dispose();
        return default;
    }

    public ValueTask DisposeAsync()
    {
        _listener.Dispose();
        return default;
    }
}
