using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>Raw TCP helpers for what HttpClient will not send or parse (malformed input, 100-continue steps, hop-by-hop headers).</summary>
public static class RawHttp
{
    public static async Task<TcpClient> ConnectAsync(Uri uri)
    {
        var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        client.ReceiveTimeout = 15000;
        return client;
    }

    public static Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    /// <summary>Reads until the end of the header block; returns the head (status line and headers).</summary>
    public static async Task<string> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken = default)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            var n = await stream.ReadAsync(one, cancellationToken);
            if (n == 0)
            {
                break;
            }

            bytes.Add(one[0]);
            var c = bytes.Count;
            if (c >= 4 && bytes[c - 4] == '\r' && bytes[c - 3] == '\n' && bytes[c - 2] == '\r' && bytes[c - 1] == '\n')
            {
                break;
            }
        }

        return Encoding.ASCII.GetString(bytes.ToArray());
    }

    public static async Task<string> ReadExactlyAsync(NetworkStream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        return Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Reads one chunk of a chunked body and returns its data; the last chunk ("0", no trailers) returns null.</summary>
    public static async Task<string?> ReadChunkAsync(NetworkStream stream, CancellationToken cancellationToken = default)
    {
        var sizeLine = new StringBuilder();
        var one = new byte[1];
        while (!sizeLine.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            await stream.ReadExactlyAsync(one, cancellationToken);
            sizeLine.Append((char)one[0]);
        }

        var size = Convert.ToInt32(sizeLine.ToString().TrimEnd(), 16);
        var data = new byte[size + 2];
        await stream.ReadExactlyAsync(data, cancellationToken);
        return size == 0 ? null : Encoding.ASCII.GetString(data, 0, size);
    }

    /// <summary>Reads chunks until the body's text so far ends with <paramref name="suffix"/>.</summary>
    public static async Task<string> ReadChunksUntilAsync(NetworkStream stream, string suffix, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        while (!text.ToString().EndsWith(suffix, StringComparison.Ordinal))
        {
            var chunk = await ReadChunkAsync(stream, cancellationToken) ?? throw new EndOfStreamException($"body ended before \"{suffix}\": \"{text}\"");
            text.Append(chunk);
        }

        return text.ToString();
    }

    /// <summary>The header lines of a head (request or status line dropped) as name/value pairs, in order.</summary>
    public static List<KeyValuePair<string, string>> HeaderLines(string head)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var line in head.Split("\r\n").Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':');
            Assert.True(colon > 0, "header line without a colon: " + line);
            result.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }

        return result;
    }

    /// <summary>Every value of header <paramref name="name"/> among <paramref name="headers"/>, in order.</summary>
    public static List<string> Values(IEnumerable<KeyValuePair<string, string>> headers, string name)
        => headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();

    public static int ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    /// <summary>
    /// A raw TCP "server" on 127.0.0.1:0 that runs <paramref name="handle"/> for each accepted connection.
    /// For backends that misbehave in ways Kestrel never would.
    /// </summary>
    public sealed class Server : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly List<TcpClient> _clients = [];
        private int _connections;

        public Server(Func<NetworkStream, CancellationToken, Task> handle)
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Address = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
            Uri = new Uri(Address + "/");
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    TcpClient client;
                    try
                    {
                        client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    }
                    catch (Exception)
                    {
                        return;
                    }

                    Interlocked.Increment(ref _connections);
                    lock (_clients)
                    {
                        _clients.Add(client);
                    }

                    _ = Task.Run(async () =>
                    {
                        try
                        {
                            await handle(client.GetStream(), _stop.Token);
                        }
                        catch (Exception)
                        {
                        }
                        finally
                        {
                            client.Dispose();
                        }
                    });
                }
            });
        }

        public string Address { get; }

        /// <summary>Base address, e.g. http://127.0.0.1:40123/.</summary>
        public Uri Uri { get; }

        public int Connections => Volatile.Read(ref _connections);

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            lock (_clients)
            {
                foreach (var c in _clients)
                {
                    c.Dispose();
                }
            }

            await _loop;
            _stop.Dispose();
        }
    }

    /// <summary>A server that reads each request and never answers (a "pulled plug" behind a live listener).</summary>
    public static Server NeverAnswers() => new(async (stream, ct) =>
    {
        var buffer = new byte[4096];
        while (await stream.ReadAsync(buffer, ct) > 0)
        {
        }
    });

    /// <summary>
    /// A server that answers every connection with <paramref name="bytes"/> once the request arrived, then closes it
    /// (or, with <paramref name="thenHang"/>, keeps it open without sending more until the server is disposed).
    /// </summary>
    public static Server Answers(byte[] bytes, bool thenHang = false) => new(async (stream, ct) =>
    {
        var buffer = new byte[4096];
        _ = await stream.ReadAsync(buffer, ct);
        await stream.WriteAsync(bytes, ct);
        if (thenHang)
        {
            await Task.Delay(Timeout.Infinite, ct);
        }

        stream.Socket.Shutdown(SocketShutdown.Both);
    });

    /// <summary>An address on which nothing listens (a port bound, read, then released).</summary>
    public static string ClosedPortAddress()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }
}
