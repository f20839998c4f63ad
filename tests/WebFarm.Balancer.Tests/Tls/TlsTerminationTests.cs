using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.FrontEnd;
using WebFarm.Balancer.Tests.Infrastructure;
using WebFarm.Balancer.Transport;
using static WebFarm.Balancer.Tests.Infrastructure.RawHttp;

namespace WebFarm.Balancer.Tests.Tls;

/// <summary>
/// The https listener's own TLS step on the epoll transport (TlsTermination: SslStream on the connection's socket, no
/// transport pipes): what that change could break. TLS records that do not line up with requests (a request in one-byte
/// records, a record ending inside the next request), a client that leaves in the middle of a record, a handshake that
/// never completes (closed after the timeout), and a client reset while its request waits for the server (the upstream
/// request is cancelled: with no receive loop reading ahead, only the epoll hang-up report tells), and https still
/// served on the Sockets engine, where Kestrel's TLS middleware does the handshake. One balancer for the class (one
/// more per engine in the last test); each test reads the counters' change over its own requests.
/// </summary>
public sealed class TlsTerminationTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly TempDirectory _folder = new();
    private readonly TaskCompletionSource _thinking = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _thinkCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TestBackend _backend = null!;
    private TestBalancer _balancer = null!;

    private FrontEndStatistics Counters => _balancer.Runtime.FrontEnd;

    public async Task InitializeAsync()
    {
        TestCertificates.WritePemPair(_folder.Path, "www", TestCertificates.Server("www", ["www.example.test"]));
        _backend = await TestBackend.StartAsync(async context =>
        {
            if (context.Request.Path == "/think")
            {
                // Answers only when the balancer gives up the request (the client is gone).
                _thinking.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    _thinkCancelled.TrySetResult();
                }

                return;
            }

            context.Response.Headers["X-Seen-Proto"] = context.Request.Headers["X-Forwarded-Proto"].ToString();
            await context.Response.WriteAsync($"{context.Request.Method} {context.Request.Path}", context.RequestAborted);
        });
        var config = TestBalancer.SingleFarm(_backend) with { SocketEngine = SocketEngine.Epoll };
        _balancer = await TestBalancer.StartAsync(config, host: o => o with
        {
            ListenOverride = [new ListenEndpoint("https://127.0.0.1:0") { Certificates = _folder.Path }],
            TlsHandshakeTimeout = TimeSpan.FromSeconds(1),
        });
    }

    public async Task DisposeAsync()
    {
        await _balancer.DisposeAsync();
        await _backend.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task Requests_whose_tls_records_do_not_line_up_with_them_are_served_in_order_by_the_front_end()
    {
        Assert.True(EpollLoop.IsSupported, "this class tests the epoll transport's TLS step");
        var (requests, handOffs) = (Counters.Requests, Counters.HandOffs);
        using var tcp = new TcpClient { NoDelay = true };
        await using var tls = await ConnectTlsAsync(tcp, _balancer.Uri, "www.example.test", SslApplicationProtocol.Http11);

        // One byte per TLS record (each SslStream write is a record).
        foreach (var b in Encoding.ASCII.GetBytes("GET /bytes HTTP/1.1\r\nHost: www.example.test\r\n\r\n"))
        {
            await tls.WriteAsync(new[] { b });
        }

        Assert.Equal("GET /bytes", (await ReadResponseAsync(tls)).Body);

        // One record holding a whole request and the start of the next; the next record completes it.
        const string first = "GET /a HTTP/1.1\r\nHost: www.example.test\r\n\r\n";
        const string second = "GET /b HTTP/1.1\r\nHost: www.example.test\r\n\r\n";
        await WriteAsync(tls, first + second[..10]);
        await WriteAsync(tls, second[10..]);
        Assert.Equal("GET /a", (await ReadResponseAsync(tls)).Body);
        Assert.Equal("GET /b", (await ReadResponseAsync(tls)).Body);

        Assert.Equal(requests + 3, Counters.Requests);
        Assert.Equal(handOffs, Counters.HandOffs);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_leaves_in_the_middle_of_a_tls_record_reaches_no_server_and_the_listener_keeps_serving(bool reset)
    {
        var served = _backend.Requests;
        using (var tcp = new TcpClient { NoDelay = true })
        {
            var cut = new CuttingStream();
            await tcp.ConnectAsync(IPAddress.Loopback, _balancer.Uri.Port);
            cut.Inner = tcp.GetStream();
            await using var tls = new SslStream(cut, leaveInnerStreamOpen: true);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "www.example.test",
                RemoteCertificateValidationCallback = static (_, _, _, _) => true,
            });

            // The record carrying a whole request goes out only in part, then the client leaves.
            cut.CutNextWrite = true;
            await WriteAsync(tls, "GET /never HTTP/1.1\r\nHost: www.example.test\r\n\r\n");
            if (reset)
            {
                Reset(tcp);
            }
            else
            {
                // A FIN inside a record: the balancer cannot decrypt the rest and closes its side (what arrives before
                // the end is the TLS 1.3 session tickets the client never read, nothing else).
                tcp.Client.Shutdown(SocketShutdown.Send);
                await ReadUntilClosedAsync(cut.Inner, Deadline);
            }
        }

        using var client = new HttpsTestClient(_balancer.Uri.Port);
        Assert.Equal("GET /after", await client.Http.GetStringAsync(client.Url("www.example.test", "/after")));
        Assert.Equal(served + 1, _backend.Requests);
    }

    [Theory]
    [InlineData(0)] // connected, nothing sent
    [InlineData(5)] // a TLS record header announcing a ClientHello that never comes
    public async Task A_handshake_that_never_completes_is_closed_after_the_timeout(int helloBytes)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _balancer.Uri.Port);
        var stream = tcp.GetStream();
        if (helloBytes > 0)
        {
            await stream.WriteAsync(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00 }.AsMemory(0, helloBytes));
        }

        // The class's handshake timeout is 1 s; the balancer closes the connection without a word.
        Assert.Equal(string.Empty, await ReadUntilClosedAsync(stream, Deadline));

        using var client = new HttpsTestClient(_balancer.Uri.Port);
        Assert.Equal("GET /alive", await client.Http.GetStringAsync(client.Url("www.example.test", "/alive")));
    }

    [Fact]
    public async Task A_client_reset_while_its_request_waits_for_the_server_cancels_the_upstream_request()
    {
        var server = _balancer.Runtime.Farms["web"].Servers[0];
        using (var tcp = new TcpClient { NoDelay = true })
        {
            var tls = await ConnectTlsAsync(tcp, _balancer.Uri, "www.example.test", SslApplicationProtocol.Http11);
            await WriteAsync(tls, "GET /think HTTP/1.1\r\nHost: www.example.test\r\n\r\n");
            await _thinking.Task.WaitAsync(Deadline);
            Reset(tcp);
        }

        // The server would wait forever: only the balancer cancelling its request ends it.
        await _thinkCancelled.Task.WaitAsync(Deadline);
        await Eventually.True(() => server.InFlight == 0, Deadline, "the abandoned request ends");
        Assert.True(server.Healthy, "a client leaving marked the server failed");
    }

    // Epoll: WebFarm's TLS step; Sockets: it passes every connection to Kestrel's TLS middleware, which must still be there.
    [Theory]
    [InlineData(SocketEngine.Epoll)]
    [InlineData(SocketEngine.Sockets)]
    public async Task Both_socket_engines_serve_https_over_http11_and_h2_with_https_forwarded(SocketEngine engine)
    {
        var config = TestBalancer.SingleFarm(_backend) with { SocketEngine = engine };
        await using var balancer = await TestBalancer.StartAsync(config, host: o => o with
        {
            ListenOverride = [new ListenEndpoint("https://127.0.0.1:0") { Certificates = _folder.Path }],
        });
        foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            using var client = new HttpsTestClient(balancer.Uri.Port, version);
            using var response = await client.Http.GetAsync(client.Url("www.example.test", "/engine"));
            Assert.Equal(version, response.Version);
            Assert.Equal("GET /engine", await response.Content.ReadAsStringAsync());
            Assert.Equal(["https"], response.Headers.GetValues("X-Seen-Proto"));
        }
    }

    /// <summary>A client stream that can send only the first half of its next write (a TLS record cut in two).</summary>
    private sealed class CuttingStream : Stream
    {
        public Stream Inner { get; set; } = null!;

        public bool CutNextWrite { get; set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => Inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            => Inner.WriteAsync(CutNextWrite ? buffer[..(buffer.Length / 2)] : buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => Inner.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, CutNextWrite ? count / 2 : count);

        public override void Flush() => Inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
