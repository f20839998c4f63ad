using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>
/// A real TCP server on 127.0.0.1:0 for TCP farm tests: each connection runs a handler on its socket. It counts the
/// connections it accepted and can be killed (listener closed, every open connection reset), as a crash does.
/// </summary>
public sealed class TcpBackend : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<Socket, Task> _handler;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task _accepting;
    private int _accepted;

    private TcpBackend(string name, Func<Socket, Task> handler)
    {
        Name = name;
        _handler = handler;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _accepting = AcceptAsync();
    }

    public string Name { get; }

    public int Port { get; }

    /// <summary>"tcp://127.0.0.1:PORT", the form TCP farms' servers take.</summary>
    public string Address => $"tcp://127.0.0.1:{Port}";

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections open now.</summary>
    public int Open => _open.Count;

    /// <summary>Addresses the connections came from, in accept order.</summary>
    public ConcurrentQueue<IPEndPoint> Peers { get; } = new();

    /// <summary>
    /// Sends "NAME\n", then echoes every byte until the client's FIN, then sends "bye NAME\n" and closes: a client that
    /// half-closes still reads the echo and the goodbye.
    /// </summary>
    public static TcpBackend StartGreeter(string name) => new(name, async socket =>
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes(name + "\n"));
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer);
            if (n == 0)
            {
                break;
            }

            await socket.SendAsync(buffer.AsMemory(0, n));
        }

        await socket.SendAsync(Encoding.ASCII.GetBytes("bye " + name + "\n"));
        socket.Shutdown(SocketShutdown.Send);
    });

    /// <summary>
    /// Both ways at once: sends <paramref name="bytes"/> bytes of <see cref="Pattern"/>(<paramref name="seed"/>) then
    /// FIN (at once when it has sent them, whatever the client still sends), while hashing what it receives until the client's FIN; each connection's (byte count, SHA-256) goes to
    /// <paramref name="received"/>.
    /// </summary>
    public static TcpBackend StartExchange(string name, long bytes, int seed, ConcurrentQueue<(long Count, string Hash)> received) => new(name, async socket =>
    {
        var send = Task.Run(async () =>
        {
            await SendPatternAsync(socket, bytes, seed);
            socket.Shutdown(SocketShutdown.Send);
        });
        var (count, hash) = await ReceiveAllAsync(socket);
        await send;
        received.Enqueue((count, hash));
    });

    /// <summary>A deterministic, non-repeating-looking byte stream (so a lost or reordered chunk changes the hash).</summary>
    public static void Pattern(int seed, long offset, Span<byte> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            var x = (ulong)(offset + i) * 0x9E3779B97F4A7C15UL ^ (ulong)seed;
            destination[i] = (byte)((x >> 29) ^ (x >> 47));
        }
    }

    public static async Task SendPatternAsync(Socket socket, long bytes, int seed)
    {
        var buffer = new byte[64 * 1024];
        for (long sent = 0; sent < bytes;)
        {
            var n = (int)Math.Min(buffer.Length, bytes - sent);
            Pattern(seed, sent, buffer.AsSpan(0, n));
            await socket.SendAsync(buffer.AsMemory(0, n));
            sent += n;
        }
    }

    public static string PatternHash(long bytes, int seed)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        for (long at = 0; at < bytes;)
        {
            var n = (int)Math.Min(buffer.Length, bytes - at);
            Pattern(seed, at, buffer.AsSpan(0, n));
            sha.AppendData(buffer, 0, n);
            at += n;
        }

        return Convert.ToHexString(sha.GetHashAndReset());
    }

    /// <summary>Reads until the peer's FIN; returns the byte count and SHA-256.</summary>
    public static async Task<(long Count, string Hash)> ReceiveAllAsync(Socket socket)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long count = 0;
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer);
            if (n == 0)
            {
                return (count, Convert.ToHexString(sha.GetHashAndReset()));
            }

            sha.AppendData(buffer, 0, n);
            count += n;
        }
    }

    /// <summary>Stops accepting (the port refuses from now on) and resets every open connection, as a crash does.</summary>
    public void Kill()
    {
        _listener.Dispose();
        foreach (var socket in _open.Keys)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }

            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _accepting;
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            Peers.Enqueue((IPEndPoint)socket.RemoteEndPoint!);
            _open.TryAdd(socket, 0);
            _ = RunAsync(socket);
        }
    }

    private async Task RunAsync(Socket socket)
    {
        try
        {
            await _handler(socket);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The client (or Kill) reset it.
        }
        finally
        {
            _open.TryRemove(socket, out _);
            socket.Dispose();
        }
    }
}
