using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Transport;

/// <summary>
/// Kestrel's transport for the data plane's listeners when the epoll engine is on: accepts with .NET's socket
/// (once per connection, not per request) and hands each connection to an <see cref="EpollConnection"/>. The transport
/// reports its own failures through the logger category <c>WebFarm.Transport</c>.
/// </summary>
internal sealed class EpollConnectionListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    /// <summary>The transport's log category.</summary>
    public const string LogCategory = "WebFarm.Transport";

    // Kestrel's default backlog.
    private const int Backlog = 512;

    private readonly ILogger _logger;
    private readonly PinnedBlockPool _pool;

    /// <summary>The transport as Kestrel's services make it: the process's block pool.</summary>
    public EpollConnectionListenerFactory(ILoggerFactory loggerFactory)
        : this(loggerFactory, PinnedBlockPool.Instance)
    {
    }

    /// <summary>With a block pool of its own (tests count its blocks).</summary>
    internal EpollConnectionListenerFactory(ILoggerFactory loggerFactory, PinnedBlockPool pool)
    {
        _logger = loggerFactory.CreateLogger(LogCategory);
        _pool = pool;
    }

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip)
        {
            throw new NotSupportedException($"the epoll transport listens on IP addresses only, not {endpoint}");
        }

        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (ip.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(ip);
            socket.Listen(Backlog);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(ex.Message, ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new ValueTask<IConnectionListener>(new EpollConnectionListener(socket, _pool, _logger));
    }
}
