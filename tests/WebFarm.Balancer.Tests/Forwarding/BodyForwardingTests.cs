using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Forwarding;

/// <summary>Request and response bodies: large, chunked, streamed while still being sent, 100-continue, HEAD/204/304.</summary>
public sealed class BodyForwardingTests
{
    private static async Task Echo(HttpContext context)
    {
        // Streams the request body back as it arrives and reports how it was framed.
        context.Response.Headers["X-Request-Chunked"] = context.Request.Headers.TransferEncoding.ToString().Contains("chunked", StringComparison.OrdinalIgnoreCase) ? "yes" : "no";
        context.Response.Headers["X-Request-Length"] = context.Request.ContentLength?.ToString() ?? "none";
        await context.Request.Body.CopyToAsync(context.Response.Body);
    }

    [Fact]
    public async Task Large_bodies_go_both_ways_intact()
    {
        const int size = 24 * 1024 * 1024;
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            if (HttpMethods.IsPost(context.Request.Method))
            {
                // Upload: hash what arrived.
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[64 * 1024];
                long total = 0;
                int n;
                while ((n = await context.Request.Body.ReadAsync(buffer)) > 0)
                {
                    sha.AppendData(buffer, 0, n);
                    total += n;
                }

                await context.Response.WriteAsync($"{total}:{Convert.ToHexString(sha.GetHashAndReset())}");
                return;
            }

            // Download: a deterministic large body.
            context.Response.ContentLength = size;
            await context.Response.Body.WriteAsync(Pattern(size));
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        var payload = RandomNumberGenerator.GetBytes(size);

        using var upload = await balancer.Client.PostAsync("/upload", new ByteArrayContent(payload));
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Equal($"{size}:{Convert.ToHexString(SHA256.HashData(payload))}", await upload.Content.ReadAsStringAsync());

        var downloaded = await balancer.Client.GetByteArrayAsync("/download");
        Assert.Equal(size, downloaded.Length);
        Assert.Equal(SHA256.HashData(Pattern(size)), SHA256.HashData(downloaded));
    }

    private static byte[] Pattern(int size)
    {
        var data = new byte[size];
        for (var i = 0; i < size; i++)
        {
            data[i] = (byte)(i * 31 + (i >> 12));
        }

        return data;
    }

    [Fact]
    public async Task Chunked_request_stays_chunked_and_unknown_length_response_is_chunked()
    {
        await using var backend = await TestBackend.StartAsync(Echo);
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        var payload = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("chunk of text ", 10_000)));

        // A StreamContent over a non-seekable stream has no length: HttpClient sends it chunked.
        var content = new StreamContent(new NonSeekableStream(payload));
        using var response = await balancer.Client.PostAsync("/echo", content);

        Assert.Equal("yes", response.Headers.GetValues("X-Request-Chunked").Single());
        Assert.Equal("none", response.Headers.GetValues("X-Request-Length").Single());
        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Server_reads_the_body_while_the_client_is_still_sending()
    {
        var firstPartSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            var buffer = new byte[5];
            await context.Request.Body.ReadExactlyAsync(buffer);
            Assert.Equal("part1", Encoding.ASCII.GetString(buffer));
            firstPartSeen.TrySetResult();
            var rest = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync("got part1 then " + rest);
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));

        // The client holds back part 2 until the server has read part 1: without streaming this would deadlock.
        var content = new GatedContent(Encoding.ASCII.GetBytes("part1"), Encoding.ASCII.GetBytes("part2"), firstPartSeen.Task);
        using var response = await balancer.Client.PostAsync("/stream", content).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal("got part1 then part2", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Response_is_streamed_to_the_client_before_the_server_finishes()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            await context.Response.WriteAsync("first;");
            await context.Response.Body.FlushAsync();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await context.Response.WriteAsync("second");
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));

        using var response = await balancer.Client.GetAsync("/", HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[6];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("first;", Encoding.ASCII.GetString(buffer));
        release.SetResult();
        Assert.Equal("second", await new StreamReader(stream).ReadToEndAsync());
    }

    [Fact]
    public async Task Expect_100_continue_is_honoured()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync($"expect={context.Request.Headers.Expect};body={body}");
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));

        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();
        await RawHttp.WriteAsync(stream, "POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");

        // The client must get "100 Continue" before it sends the body.
        var interim = await RawHttp.ReadHeadAsync(stream).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 100", interim);
        await RawHttp.WriteAsync(stream, "hello");
        var head = await RawHttp.ReadHeadAsync(stream).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 200", head);
        var body = await ReadBodyAsync(stream, head);
        Assert.Equal("expect=100-continue;body=hello", body);
    }

    [Fact]
    public async Task Head_204_and_304_have_no_body_and_keep_the_connection_usable()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            switch (context.Request.Path.Value)
            {
                case "/head":
                    context.Response.ContentLength = 11;
                    if (!HttpMethods.IsHead(context.Request.Method))
                    {
                        await context.Response.WriteAsync("hello world");
                    }

                    break;
                case "/204":
                    context.Response.StatusCode = 204;
                    break;
                case "/304":
                    context.Response.StatusCode = 304;
                    context.Response.Headers.ETag = "\"v1\"";
                    break;
                default:
                    await context.Response.WriteAsync("after");
                    break;
            }
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));

        // One connection, requests in sequence: a stray body byte would corrupt the next response.
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();
        await RawHttp.WriteAsync(stream, "HEAD /head HTTP/1.1\r\nHost: t\r\n\r\n");
        var head = await RawHttp.ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 200", head);
        Assert.Equal(11, RawHttp.ContentLength(head));

        await RawHttp.WriteAsync(stream, "GET /204 HTTP/1.1\r\nHost: t\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 204", await RawHttp.ReadHeadAsync(stream));

        await RawHttp.WriteAsync(stream, "GET /304 HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"v1\"\r\n\r\n");
        var notModified = await RawHttp.ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 304", notModified);
        Assert.Contains("ETag: \"v1\"", notModified);

        await RawHttp.WriteAsync(stream, "GET /next HTTP/1.1\r\nHost: t\r\n\r\n");
        var next = await RawHttp.ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 200", next);
        Assert.Equal("after", await ReadBodyAsync(stream, next));
    }

    [Fact]
    public async Task Malformed_and_oversized_requests_are_refused_by_kestrel_with_4xx()
    {
        await using var backend = await TestBackend.StartNamedAsync("b");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));

        using (var tcp = await RawHttp.ConnectAsync(balancer.Uri))
        {
            await RawHttp.WriteAsync(tcp.GetStream(), "GET / HTTP/1.1\r\nHost: t\r\nBad Header Without Colon\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 400", await RawHttp.ReadHeadAsync(tcp.GetStream()));
        }

        using (var tcp = await RawHttp.ConnectAsync(balancer.Uri))
        {
            await RawHttp.WriteAsync(tcp.GetStream(), $"GET / HTTP/1.1\r\nHost: t\r\nX-Big: {new string('a', 40_000)}\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 431", await RawHttp.ReadHeadAsync(tcp.GetStream()));
        }

        Assert.Equal(0, backend.Requests);
        Assert.Equal("b", await balancer.Client.GetStringAsync("/"));
    }

    private static async Task<string> ReadBodyAsync(System.Net.Sockets.NetworkStream stream, string head)
    {
        var length = RawHttp.ContentLength(head);
        if (length >= 0)
        {
            return await RawHttp.ReadExactlyAsync(stream, length);
        }

        // Chunked: read "size\r\ndata\r\n" until a zero chunk.
        var result = new StringBuilder();
        while (true)
        {
            var sizeLine = await ReadLineAsync(stream);
            var size = Convert.ToInt32(sizeLine.Trim(), 16);
            if (size == 0)
            {
                await ReadLineAsync(stream);
                return result.ToString();
            }

            result.Append(await RawHttp.ReadExactlyAsync(stream, size));
            await ReadLineAsync(stream);
        }
    }

    private static async Task<string> ReadLineAsync(System.Net.Sockets.NetworkStream stream)
    {
        var sb = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1)
        {
            if (one[0] == '\n')
            {
                break;
            }

            if (one[0] != '\r')
            {
                sb.Append((char)one[0]);
            }
        }

        return sb.ToString();
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    /// <summary>Sends the first part, waits for a signal, then sends the second part.</summary>
    private sealed class GatedContent(byte[] first, byte[] second, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(first);
            await stream.FlushAsync();
            await gate.WaitAsync(TimeSpan.FromSeconds(15));
            await stream.WriteAsync(second);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
