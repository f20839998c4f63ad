using System.Net;
using System.Net.Sockets;

namespace WebFarm.Balancer.Tests.Health;

/// <summary>
/// A TCP listener on 127.0.0.1:0 that does whatever <c>onConnection</c> says with each accepted socket: never
/// answer, answer garbage, send headers and stall. For servers too broken to be written with Kestrel.
/// </summary>
internal sealed class RawTcpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Socket> _sockets = [];
    private int _accepted;

    public RawTcpServer(Func<Socket, CancellationToken, Task> onConnection)
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Uri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _acceptLoop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception)
                {
                    return;
                }

                Interlocked.Increment(ref _accepted);
                lock (_sockets)
                {
                    _sockets.Add(socket);
                }

                _ = Task.Run(async () =>
                {
                    try
                    {
                        await onConnection(socket, _stop.Token);
                    }
                    catch (Exception)
                    {
                        // The peer went away or we are stopping.
                    }
                });
            }
        });
    }

    public Uri Uri { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Reads the request and never answers (a "pulled plug" behind a live listener).</summary>
    public static RawTcpServer NeverAnswers() => new(async (socket, ct) =>
    {
        var buffer = new byte[4096];
        while (await socket.ReceiveAsync(buffer, ct) > 0)
        {
        }
    });

    /// <summary>Answers every connection with <paramref name="bytes"/> once the request headers arrived, then closes.</summary>
    public static RawTcpServer Answers(byte[] bytes, bool thenHang = false) => new(async (socket, ct) =>
    {
        var buffer = new byte[4096];
        await socket.ReceiveAsync(buffer, ct);
        await socket.SendAsync(bytes, ct);
        if (thenHang)
        {
            await Task.Delay(Timeout.Infinite, ct);
        }

        socket.Shutdown(SocketShutdown.Both);
    });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        lock (_sockets)
        {
            foreach (var s in _sockets)
            {
                s.Dispose();
            }
        }

        _stop.Dispose();
    }
}
