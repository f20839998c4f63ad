using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>Raw TCP (and TLS) helpers for what HttpClient will not send or parse (malformed input, 100-continue steps, hop-by-hop headers).</summary>
public static class RawHttp
{
    public static async Task<TcpClient> ConnectAsync(Uri uri)
    {
        var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        client.ReceiveTimeout = 15000;
        return client;
    }

    /// <summary>
    /// Connects to an https listener at <paramref name="uri"/> and completes a TLS handshake with SNI
    /// <paramref name="serverName"/>, accepting any certificate, offering <paramref name="alpn"/> (empty: no ALPN
    /// extension, as wrk and many scripts). The stream speaks raw HTTP like a <see cref="NetworkStream"/> does.
    /// </summary>
    public static async Task<SslStream> ConnectTlsAsync(TcpClient client, Uri uri, string serverName, params SslApplicationProtocol[] alpn)
    {
        await client.ConnectAsync(IPAddress.Loopback, uri.Port);
        client.ReceiveTimeout = 15000;
        var tls = new SslStream(client.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            ApplicationProtocols = alpn.Length == 0 ? null : [.. alpn],
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        });
        return tls;
    }

    /// <summary>
    /// Leaves abortively: an RST, no FIN (a FIN alone is a half-close, after which the balancer still answers a
    /// complete request, as HAProxy does).
    /// </summary>
    public static void Reset(TcpClient client)
    {
        client.Client.LingerState = new LingerOption(true, 0);
        client.Client.Close();
    }

    public static Task WriteAsync(Stream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    /// <summary>Reads until the end of the header block; returns the head (status line and headers).</summary>
    public static async Task<string> ReadHeadAsync(Stream stream, CancellationToken cancellationToken = default)
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

    public static async Task<string> ReadExactlyAsync(Stream stream, int count, CancellationToken cancellationToken = default)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        return Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Reads one chunk of a chunked body and returns its data; the last chunk ("0", no trailers) returns null.</summary>
    public static async Task<string?> ReadChunkAsync(Stream stream, CancellationToken cancellationToken = default)
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
    public static async Task<string> ReadChunksUntilAsync(Stream stream, string suffix, CancellationToken cancellationToken = default)
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

    /// <summary>How long the response readers wait for a complete response.</summary>
    public static readonly TimeSpan ResponseDeadline = TimeSpan.FromSeconds(15);

    /// <summary>Reads one response; <paramref name="headRequest"/> = it answers a HEAD (no body whatever the headers say).</summary>
    public static async Task<RawResponse> ReadResponseAsync(Stream stream, bool headRequest = false)
    {
        using var timeout = new CancellationTokenSource(ResponseDeadline);
        var head = string.Empty;
        try
        {
            head = await RawHttp.ReadHeadAsync(stream, timeout.Token);
            return await ReadResponseAfterHeadAsync(stream, head, headRequest, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Assert.Fail($"no complete response within {ResponseDeadline}; head so far: \"{head}\"");
            throw;
        }
    }

    public static async Task<RawResponse> ReadResponseAfterHeadAsync(Stream stream, string head, bool headRequest, CancellationToken ct)
    {
        Assert.True(head.EndsWith("\r\n\r\n", StringComparison.Ordinal), $"the connection ended before a whole response head arrived: \"{head}\"");
        Assert.True(head.StartsWith("HTTP/1.1 ", StringComparison.Ordinal), "not an HTTP/1.1 status line: " + head);
        var status = int.Parse(head.AsSpan(9, 3), CultureInfo.InvariantCulture);
        var headers = HeaderLines(head);
        var lengths = Values(headers, "Content-Length");
        Assert.True(lengths.Count <= 1, "more than one Content-Length:\n" + head);
        if (headRequest || status < 200 || status is 204 or 304)
        {
            return new RawResponse(status, head, headers, string.Empty, []);
        }

        if (Values(headers, "Transfer-Encoding").Any(v => v.Contains("chunked", StringComparison.OrdinalIgnoreCase)))
        {
            Assert.True(lengths.Count == 0, "both Transfer-Encoding and Content-Length:\n" + head);
            var body = new StringBuilder();
            while (true)
            {
                var sizeLine = await ReadLineAsync(stream, ct);
                var semicolon = sizeLine.IndexOf(';');
                var size = Convert.ToInt32((semicolon < 0 ? sizeLine : sizeLine[..semicolon]).Trim(), 16);
                if (size == 0)
                {
                    break;
                }

                body.Append(await ReadExactlyAsync(stream, size, ct));
                Assert.True(await ReadLineAsync(stream, ct) == string.Empty, "chunk data not followed by CRLF");
            }

            var trailers = new List<string>();
            for (var line = await ReadLineAsync(stream, ct); line.Length > 0; line = await ReadLineAsync(stream, ct))
            {
                trailers.Add(line);
            }

            return new RawResponse(status, head, headers, body.ToString(), trailers);
        }

        if (lengths.Count == 1)
        {
            var length = int.Parse(lengths[0], CultureInfo.InvariantCulture);
            return new RawResponse(status, head, headers, await ReadExactlyAsync(stream, length, ct), []);
        }

        // Neither: the body runs until the balancer closes the connection.
        var rest = new MemoryStream();
        await stream.CopyToAsync(rest, ct);
        return new RawResponse(status, head, headers, Encoding.ASCII.GetString(rest.ToArray()), []);
    }

    /// <summary>Reads one CRLF-terminated line (without the CRLF); a bare LF fails (the balancer must frame with CRLF).</summary>
    public static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            await stream.ReadExactlyAsync(one, cancellationToken);
            if (one[0] == '\n')
            {
                Assert.True(line.Length > 0 && line[^1] == '\r', "bare LF in chunked framing after \"" + line + "\"");
                return line.ToString(0, line.Length - 1);
            }

            line.Append((char)one[0]);
        }
    }

    /// <summary>
    /// Reads until the balancer closes the connection (end of stream or reset) and returns what came before;
    /// fails if it is still open after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<string> ReadUntilClosedAsync(Stream stream, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the connection was still open after {timeout} (received so far: \"{Encoding.ASCII.GetString(received.ToArray())}\")");
        }
        catch (IOException)
        {
            // Reset by the balancer: closed as well.
        }

        return Encoding.ASCII.GetString(received.ToArray());
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
        return $"http://127.0.0.1:{FreePort.Next()}";
    }
}
