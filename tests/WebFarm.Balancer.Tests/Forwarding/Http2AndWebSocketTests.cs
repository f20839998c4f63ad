using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Forwarding;

/// <summary>gRPC-style HTTP/2 streaming with trailers (h2c on both sides) and WebSocket tunnels.</summary>
[Collection(TimingCollection.Name)]
public sealed class Http2AndWebSocketTests
{
    [Fact]
    public async Task Http2_bidirectional_stream_with_trailers_passes_through_h2c_on_both_sides()
    {
        // The server answers each line as soon as it arrives, then ends with gRPC-style trailers.
        await using var backend = await TestBackend.StartAsync(
            async context =>
            {
                context.Response.ContentType = "application/grpc";
                context.Response.Headers["X-Protocol"] = context.Request.Protocol;
                context.Response.Headers["X-TE"] = context.Request.Headers.TE.ToString();
                await context.Response.StartAsync();
                await context.Response.Body.FlushAsync();
                var reader = new StreamReader(context.Request.Body);
                var count = 0;
                while (await reader.ReadLineAsync() is { } line)
                {
                    count++;
                    await context.Response.WriteAsync($"echo:{line}\n");
                    await context.Response.Body.FlushAsync();
                }

                context.Response.AppendTrailer("grpc-status", "0");
                context.Response.AppendTrailer("grpc-message", $"{count} messages");
            },
            HttpProtocols.Http2);
        var config = TestBalancer.SingleFarm([backend.Address], f => f with { HttpVersion = "2" });
        await using var balancer = await TestBalancer.StartAsync(config, protocols: ListenProtocols.Http2);

        var outgoing = Channel.CreateUnbounded<string>();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/chat.Echo/Stream")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ChannelContent(outgoing.Reader),
        };
        request.Headers.TE.ParseAdd("trailers");
        using var response = await balancer.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("HTTP/2", response.Headers.GetValues("X-Protocol").Single());
        Assert.Equal("trailers", response.Headers.GetValues("X-TE").Single());
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        // Ping-pong: each echo arrives before the next message is sent, so both directions stream at once.
        for (var i = 1; i <= 3; i++)
        {
            await outgoing.Writer.WriteAsync($"message {i}");
            var echo = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal($"echo:message {i}", echo);
        }

        outgoing.Writer.Complete();
        Assert.Equal(string.Empty, await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        Assert.Equal("3 messages", response.TrailingHeaders.GetValues("grpc-message").Single());
    }

    [Fact]
    public async Task A_server_that_speaks_first_gets_the_request_before_any_body_over_h2c()
    {
        // The server greets before it reads anything: it must see the request while the client's body is still empty.
        await using var backend = await TestBackend.StartAsync(
            async context =>
            {
                await context.Response.WriteAsync("ready\n");
                await context.Response.Body.FlushAsync();
                var line = await new StreamReader(context.Request.Body).ReadLineAsync();
                await context.Response.WriteAsync($"echo:{line}\n");
            },
            HttpProtocols.Http2);
        var config = TestBalancer.SingleFarm([backend.Address], f => f with { HttpVersion = "2" });
        await using var balancer = await TestBalancer.StartAsync(config, protocols: ListenProtocols.Http2);

        // Twice: the second call runs on warm connections, where no connection set-up frame flushes a held-back head.
        for (var call = 1; call <= 2; call++)
        {
            var outgoing = Channel.CreateUnbounded<string>();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/greeter")
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ChannelContent(outgoing.Reader),
            };
            using var response = await balancer.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(30));
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Equal("ready", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));

            await outgoing.Writer.WriteAsync($"call {call}");
            outgoing.Writer.Complete();
            Assert.Equal($"echo:call {call}", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        }

        Assert.Equal(2, backend.Requests);
    }

    [Fact]
    public async Task A_chunked_HTTP1_request_reaches_the_server_before_any_body()
    {
        // HTTP/1.1 upstreams are half-duplex (SocketsHttpHandler relays the response once the request body is sent),
        // but the request itself must not wait for the body: the server sees it and can start work at once.
        var arrived = Channel.CreateUnbounded<string>();
        await using var backend = await TestBackend.StartAsync(
            async context =>
            {
                await arrived.Writer.WriteAsync(context.Request.Path.Value!);
                var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
                await context.Response.WriteAsync($"echo:{body}\n");
            },
            HttpProtocols.Http1);
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));

        // Two requests on one client connection, so the second one runs on a warm upstream connection.
        using var client = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = client.GetStream();
        for (var call = 1; call <= 2; call++)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await RawHttp.WriteAsync(stream, $"POST /upload/{call} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n");
            Assert.Equal($"/upload/{call}", await arrived.Reader.ReadAsync(timeout.Token));

            var message = $"call {call}";
            await RawHttp.WriteAsync(stream, $"{message.Length:x}\r\n{message}\r\n0\r\n\r\n");
            var head = await RawHttp.ReadHeadAsync(stream, timeout.Token);
            Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
            Assert.Contains("Transfer-Encoding: chunked", head, StringComparison.OrdinalIgnoreCase);
            Assert.Equal($"echo:{message}\n", await RawHttp.ReadChunksUntilAsync(stream, "\n", timeout.Token));
            Assert.Null(await RawHttp.ReadChunkAsync(stream, timeout.Token));
        }

        Assert.Equal(2, backend.Requests);
    }

    [Fact]
    public async Task WebSocket_echo_both_directions_and_close_from_either_side()
    {
        await using var backend = await TestBackend.StartWebSocketEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        var wsUri = new Uri($"ws://{balancer.Uri.Authority}/ws");

        // Client-initiated close.
        using (var client = new ClientWebSocket())
        {
            await client.ConnectAsync(wsUri, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            for (var i = 0; i < 3; i++)
            {
                await client.SendAsync(Encoding.UTF8.GetBytes($"hello {i}"), WebSocketMessageType.Text, true, CancellationToken.None);
                Assert.Equal($"echo:hello {i}", await ReceiveText(client));
            }

            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye from client", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(WebSocketState.Closed, client.State);
            Assert.Equal("bye from server", client.CloseStatusDescription);
        }

        // Server-initiated close reaches the client.
        using (var client = new ClientWebSocket())
        {
            await client.ConnectAsync(wsUri, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            await client.SendAsync(Encoding.UTF8.GetBytes("server-close"), WebSocketMessageType.Text, true, CancellationToken.None);
            var result = await client.ReceiveAsync(new byte[1024], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(WebSocketMessageType.Close, result.MessageType);
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        }

        // Tunnels do not leak in-flight counts.
        await Eventually.True(() => balancer.Runtime.Farms["web"].Servers[0].InFlight == 0);
    }

    private static async Task<string> ReceiveText(ClientWebSocket client)
    {
        var buffer = new byte[4096];
        var result = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    /// <summary>Request content that sends lines as they are written to a channel (a client stream).</summary>
    private sealed class ChannelContent(ChannelReader<string> lines) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            // Like a gRPC client: the request headers go out before the first message. (SocketsHttpHandler would
            // otherwise hold them until the first write, and the server could not answer first.)
            await stream.FlushAsync();
            await foreach (var line in lines.ReadAllAsync())
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
