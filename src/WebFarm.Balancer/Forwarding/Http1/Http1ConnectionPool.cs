using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>
/// Idle keep-alive connections to one server address for one farm transport, most recently used first (so a
/// quiet period lets the surplus age out). Connections are made on demand; there is no limit on how many are
/// in use (the server's MaxConcurrentRequests gate limits that), only on how many are kept idle.
/// </summary>
internal sealed class Http1ConnectionPool : IDisposable
{
    private const int MaxIdle = 1024;

    private readonly Lock _lock = new();
    private readonly EndPoint _endPoint;
    private readonly bool _useEpoll;
    private readonly ILogger _transportLogger;
    private Http1Connection[] _idle = new Http1Connection[16];
    private int _count;
    private bool _disposed;

    /// <param name="transportLogger">Where the epoll transport reports failures of this pool's connections (category <c>WebFarm.Transport</c>).</param>
    public Http1ConnectionPool(object owner, string baseAddress, Uri address, bool useEpoll = false, ILogger? transportLogger = null)
    {
        _useEpoll = useEpoll;
        _transportLogger = transportLogger ?? NullLogger.Instance;
        Owner = owner;
        BaseAddress = baseAddress;
        _endPoint = EndPointOf(address);
        HostHeader = HostHeaderOf(address);
        PathPrefix = address.AbsolutePath.TrimEnd('/');
    }

    /// <summary>Where to connect for <paramref name="address"/>: its IP address, or its name resolved at each connect.</summary>
    public static EndPoint EndPointOf(Uri address)
        => IPAddress.TryParse(address.IdnHost, out var ip)
            ? new IPEndPoint(ip, address.Port)
            : new DnsEndPoint(address.IdnHost, address.Port);

    /// <summary>The Host header that names <paramref name="address"/>'s server: host, and port unless the scheme's default.</summary>
    public static string HostHeaderOf(Uri address)
        => address.IsDefaultPort ? address.IdnHost : $"{address.IdnHost}:{address.Port}";

    /// <summary>Response header values of this server, reused while they do not change.</summary>
    public Http1HeaderValueCache HeaderValues { get; } = new();

    /// <summary>The server address's path ("" for "http://host:port/"), put in front of every request target.</summary>
    public string PathPrefix { get; }

    /// <summary>The transport this pool belongs to (a reload that replaces the transport starts new pools).</summary>
    public object Owner { get; }

    /// <summary>The server's base address the pool was made for; a changed address means a new pool.</summary>
    public string BaseAddress { get; }

    /// <summary>The server's own authority, sent as Host when the farm does not preserve the client's.</summary>
    public string HostHeader { get; }

    public int IdleCount
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Takes the most recently used idle connection that is still usable; false when there is none.</summary>
    public bool TryRent(out Http1Connection connection)
    {
        while (true)
        {
            lock (_lock)
            {
                if (_count == 0)
                {
                    connection = null!;
                    return false;
                }

                connection = _idle[--_count];
                _idle[_count] = null!;
            }

            if (connection.IsReusable())
            {
                return true;
            }

            connection.Dispose();
        }
    }

    /// <exception cref="Http1ConnectException">Refused, unreachable, or not connected within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    public async ValueTask<Http1Connection> ConnectAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            ITcpChannel channel = _useEpoll
                ? await EpollSocket.ConnectAsync(_endPoint, deadline.Token, _transportLogger).ConfigureAwait(false)
                : await SocketChannel.ConnectAsync(_endPoint, deadline.Token).ConfigureAwait(false);
            return new Http1Connection(channel);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new Http1ConnectException("connect timeout");
        }
        catch (SocketException ex)
        {
            throw new Http1ConnectException(ex.SocketErrorCode.ToString(), ex);
        }
    }

    /// <summary>Keeps a connection whose exchange ended cleanly for the next request (or closes it when the pool is full or retired).</summary>
    public void Return(Http1Connection connection)
    {
        connection.Reused = true;
        connection.IdleSince = Environment.TickCount64;
        try
        {
            connection.PostReadAhead();
        }
        catch (Exception)
        {
            connection.Dispose();
            return;
        }

        lock (_lock)
        {
            if (!_disposed && _count < MaxIdle)
            {
                if (_count == _idle.Length)
                {
                    Array.Resize(ref _idle, _idle.Length * 2);
                }

                _idle[_count++] = connection;
                return;
            }
        }

        connection.Dispose();
    }

    /// <summary>Closes idle connections unused for longer than <paramref name="idleTimeout"/> and those the server closed.</summary>
    public void Sweep(TimeSpan idleTimeout)
    {
        var oldest = Environment.TickCount64 - (long)idleTimeout.TotalMilliseconds;
        List<Http1Connection>? closing = null;
        lock (_lock)
        {
            var kept = 0;
            for (var i = 0; i < _count; i++)
            {
                var connection = _idle[i];
                if (connection.IdleSince < oldest || !connection.IsReusable())
                {
                    (closing ??= []).Add(connection);
                }
                else
                {
                    _idle[kept++] = connection;
                }
            }

            Array.Clear(_idle, kept, _count - kept);
            _count = kept;
        }

        if (closing is not null)
        {
            foreach (var connection in closing)
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>Closes the idle connections; connections still in use are closed when they come back.</summary>
    public void Dispose()
    {
        Http1Connection[] idle;
        int count;
        lock (_lock)
        {
            _disposed = true;
            idle = _idle;
            count = _count;
            _idle = [];
            _count = 0;
        }

        for (var i = 0; i < count; i++)
        {
            idle[i].Dispose();
        }
    }
}
