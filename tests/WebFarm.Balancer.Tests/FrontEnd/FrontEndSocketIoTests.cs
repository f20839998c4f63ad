using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;
using static WebFarm.Balancer.Tests.Infrastructure.RawHttp;

namespace WebFarm.Balancer.Tests.FrontEnd;

/// <summary>
/// The front end reading and writing a cleartext client's socket directly (no transport pipes on the epoll engine,
/// EpollSocketReader/EpollSocketWriter): heads cut into many small TCP segments, a pipelined batch larger than one
/// receive buffer, a client reading a large response slowly (the balancer must not buffer it), and a client resetting
/// in the middle of a response body (the upstream request must be cancelled). Each is proved served by the front end
/// (its counters), not handed to Kestrel.
/// </summary>
public sealed class FrontEndSocketIoTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static string Get(string path, string extraHeaders = "") => $"GET {path} HTTP/1.1\r\nHost: t\r\n{extraHeaders}\r\n";

    /// <summary>A backend that answers with the request's path.</summary>
    private static Task<TestBackend> StartPathEchoAsync() => TestBackend.StartAsync(async context =>
    {
        var bytes = Encoding.ASCII.GetBytes(context.Request.Path.Value!);
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    });

    private static async Task AssertServedByFrontEndAsync(TestBalancer balancer, long requests)
    {
        var frontEnd = balancer.Runtime.FrontEnd;
        await Eventually.True(() => frontEnd.Requests == requests, Deadline, $"the front end answered {frontEnd.Requests} of {requests} requests");
        Assert.Equal(0, frontEnd.HandOffs);
    }

    /// <summary>The byte at <paramref name="offset"/> of the large test body (not periodic in any power of two).</summary>
    private static byte PatternAt(long offset) => (byte)('a' + (offset * 7 + (offset >> 13)) % 26);

    [Fact]
    public async Task Heads_sent_a_few_bytes_per_segment_are_served_by_the_front_end()
    {
        await using var backend = await StartPathEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using var tcp = await ConnectAsync(balancer.Uri);
        tcp.NoDelay = true;
        var stream = tcp.GetStream();

        // One byte per write, then three: every receive but the last finds an incomplete head.
        foreach (var (path, piece) in new[] { ("/one-byte-at-a-time", 1), ("/three-bytes-at-a-time", 3) })
        {
            var request = Encoding.ASCII.GetBytes(Get(path, "X-Padding: some-value-to-cut-into-pieces\r\nAccept: */*\r\n"));
            for (var offset = 0; offset < request.Length; offset += piece)
            {
                await stream.WriteAsync(request.AsMemory(offset, Math.Min(piece, request.Length - offset)));
                await stream.FlushAsync();
            }

            var response = await ReadResponseAsync(stream);
            Assert.Equal(200, response.Status);
            Assert.Equal(path, response.Body);
        }

        await AssertServedByFrontEndAsync(balancer, requests: 2);
    }

    [Fact]
    public async Task A_pipelined_batch_larger_than_a_receive_buffer_is_answered_in_order()
    {
        // 160 requests of about 120 bytes: 19 KiB in one write, more than four 4 KiB receives, with heads cut at the
        // buffer's edges.
        const int Count = 160;
        await using var backend = await StartPathEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using var tcp = await ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();
        var batch = new StringBuilder();
        for (var i = 0; i < Count; i++)
        {
            batch.Append(Get($"/pipelined/{i}", $"X-Padding: {new string('p', 60 + i % 17)}\r\n"));
        }

        Assert.True(batch.Length > 4 * 4096, $"the batch is only {batch.Length} bytes");
        await WriteAsync(stream, batch.ToString());

        for (var i = 0; i < Count; i++)
        {
            var response = await ReadResponseAsync(stream);
            Assert.Equal(200, response.Status);
            Assert.Equal($"/pipelined/{i}", response.Body);
        }

        await AssertServedByFrontEndAsync(balancer, requests: Count);
    }

    [Fact]
    public async Task A_client_reading_a_large_response_slowly_holds_the_upstream_back_instead_of_the_balancer_buffering_it()
    {
        // 64 MiB: more than the kernel's buffers on the way can hold (here: client and upstream receive buffers, the
        // balancer's and the server's send buffers), so a balancer that buffered the response would let it all go out.
        const long Size = 64L * 1024 * 1024;
        long sent = 0;
        await using var server = new Server(async (stream, ct) =>
        {
            // The first request gets the large body; the next one a small answer on the same connection.
            await ReadHeadAsync(stream, ct);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {Size}\r\n\r\n"), ct);
            var piece = new byte[64 * 1024];
            for (long offset = 0; offset < Size; offset += piece.Length)
            {
                for (var i = 0; i < piece.Length; i++)
                {
                    piece[i] = PatternAt(offset + i);
                }

                await stream.WriteAsync(piece, ct);
                Interlocked.Add(ref sent, piece.Length);
            }

            await ReadHeadAsync(stream, ct);
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsmall"u8.ToArray(), ct);
            await ReadHeadAsync(stream, ct);
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address]));
        using var tcp = new TcpClient { ReceiveBufferSize = 64 * 1024 };
        await tcp.ConnectAsync(balancer.Uri.Host, balancer.Uri.Port);
        var stream = tcp.GetStream();
        await WriteAsync(stream, Get("/large"));

        // The client reads nothing: the server's writes stall once the buffers on the way are full.
        var stalledAt = await Eventually.StallsAsync(() => Interlocked.Read(ref sent), 1024 * 1024, TimeSpan.FromSeconds(30), "the server's writes never stalled behind the slow client");
        Assert.True(stalledAt < Size, "the whole response left the server although the client read none of it");

        // Then the client reads it all, intact, and the connection serves the next request.
        var head = await ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
        Assert.Equal((int)Size, ContentLength(head));
        var buffer = new byte[256 * 1024];
        long received = 0;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (received < Size)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, Size - received)), timeout.Token);
                Assert.True(n > 0, $"the connection ended after {received} of {Size} body bytes");
                for (var i = 0; i < n; i++)
                {
                    if (buffer[i] != PatternAt(received + i))
                    {
                        Assert.Fail($"body byte {received + i} differs from what the server sent");
                    }
                }

                received += n;
            }
        }

        await WriteAsync(stream, Get("/small"));
        Assert.Equal("small", (await ReadResponseAsync(stream)).Body);
        await AssertServedByFrontEndAsync(balancer, requests: 2);
    }

    [Fact]
    public async Task A_client_resetting_in_the_middle_of_a_response_body_cancels_the_upstream_request()
    {
        var upstreamCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            // A head and the first part of the body, then a server that would go on only when told: only the balancer
            // cancelling the upstream request ends it.
            context.Response.ContentLength = 1_000_000;
            await context.Response.WriteAsync(new string('x', 1000));
            await context.Response.Body.FlushAsync();
            var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (context.RequestAborted.Register(() => aborted.TrySetResult()))
            {
                await aborted.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }

            upstreamCancelled.TrySetResult();
        });

        // One passive failure would take the server out of rotation: a client leaving must not count as one.
        var config = TestBalancer.SingleFarm([backend.Address], f => f with
        {
            Retries = new RetryOptions { MaxAttempts = 1 },
            PassiveHealth = new PassiveHealthOptions { MaxFailures = 1, Window = TimeSpan.FromSeconds(30), ReactivationPeriod = TimeSpan.FromSeconds(60) },
        });
        await using var balancer = await TestBalancer.StartAsync(config);
        var server = balancer.Runtime.Farms["web"].Servers[0];
        using (var tcp = await ConnectAsync(balancer.Uri))
        {
            var stream = tcp.GetStream();
            await WriteAsync(stream, Get("/streaming"));
            var head = await ReadHeadAsync(stream);
            Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
            Assert.Equal("x", await ReadExactlyAsync(stream, 1));
            Reset(tcp);
        }

        await upstreamCancelled.Task.WaitAsync(Deadline);
        await Eventually.True(() => server.InFlight == 0, Deadline, "the abandoned request ends");
        Assert.True(server.Healthy, "a client leaving marked the server failed");
        Assert.Equal(0, server.Statistics.TransportFailures);
        await AssertServedByFrontEndAsync(balancer, requests: 1);
    }
}
