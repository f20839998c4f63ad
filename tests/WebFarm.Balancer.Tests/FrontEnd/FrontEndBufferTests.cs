using System.Net.Sockets;
using WebFarm.Balancer.Tests.Infrastructure;
using static WebFarm.Balancer.Tests.Infrastructure.RawHttp;

namespace WebFarm.Balancer.Tests.FrontEnd;

/// <summary>
/// An idle keep-alive client connection holds no request buffers (docs/benchmarks.md, "Balancer memory"): the front end
/// rents its head, upstream-head and response-head buffers for one request and gives them back when the response is
/// done, when a head is still partial, and when it hands the connection to Kestrel. Counted with the pool's counter of
/// rented sets, which also shows the set a request in progress holds (so the count is not zero by construction).
/// </summary>
public sealed class FrontEndBufferTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static string Get(string path, string extraHeaders = "") => $"GET {path} HTTP/1.1\r\nHost: t\r\n{extraHeaders}\r\n";

    [Fact]
    public async Task Idle_keep_alive_connections_hold_no_request_buffers_after_their_responses()
    {
        await using var backend = await TestBackend.StartNamedAsync("web1");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        var buffers = balancer.Host.FrontEnd.Buffers;
        var clients = new List<TcpClient>();
        try
        {
            // Several connections, each with a few requests (one pipelined pair), all left open and idle.
            for (var i = 0; i < 8; i++)
            {
                var tcp = await ConnectAsync(balancer.Uri);
                clients.Add(tcp);
                var stream = tcp.GetStream();
                await WriteAsync(stream, Get($"/a{i}"));
                Assert.Equal(200, (await ReadResponseAsync(stream)).Status);
                await WriteAsync(stream, Get($"/b{i}") + Get($"/c{i}"));
                Assert.Equal(200, (await ReadResponseAsync(stream)).Status);
                Assert.Equal(200, (await ReadResponseAsync(stream)).Status);
            }

            // A set is given back just after the response's last byte went out: wait for it, then for good measure
            // check that every request was the front end's (a hand-off would hold nothing of the front end's either).
            await Eventually.True(() => buffers.Rented == 0, Deadline, $"{buffers.Rented} request buffer sets still rented by 8 idle connections");
            await Eventually.True(() => balancer.Runtime.FrontEnd.Requests == 24, Deadline, "the front end served all 24 requests");
            Assert.Equal(0, balancer.Runtime.FrontEnd.HandOffs);

            // Reused, not made per request: 24 requests, at most one set per connection ever made.
            Assert.InRange(buffers.Retained, 1, 8);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task A_request_in_progress_holds_one_set_and_gives_it_back_when_its_response_is_done()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new RawHttp.Server(async (stream, ct) =>
        {
            await ReadHeadAsync(stream, ct);
            arrived.TrySetResult();
            await release.Task.WaitAsync(ct);
            await WriteAsync(stream, Ok);
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address]));
        var buffers = balancer.Host.FrontEnd.Buffers;
        using var tcp = await ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await WriteAsync(stream, Get("/slow"));
        await arrived.Task.WaitAsync(Deadline);
        Assert.Equal(1, buffers.Rented);

        release.SetResult();
        Assert.Equal("ok", (await ReadResponseAsync(stream)).Body);
        await Eventually.True(() => buffers.Rented == 0, Deadline, "the set of a finished request was not given back");
    }

    [Fact]
    public async Task A_connection_waiting_for_the_rest_of_a_head_holds_no_set()
    {
        await using var backend = await TestBackend.StartNamedAsync("web1");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        var buffers = balancer.Host.FrontEnd.Buffers;
        using var tcp = await ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        // Half a head, sent in two writes so that the front end parses (and finds incomplete) at least once.
        await WriteAsync(stream, "GET /partial HTTP/1.1\r\n");
        await Task.Yield();
        await WriteAsync(stream, "Host: t\r\n");
        await Eventually.True(() => buffers.Retained >= 1, Deadline, "the front end never looked at the partial head");
        Assert.Equal(0, buffers.Rented);

        // The rest of the head completes the request as usual.
        await WriteAsync(stream, "\r\n");
        Assert.Equal(200, (await ReadResponseAsync(stream)).Status);
        await Eventually.True(() => buffers.Rented == 0, Deadline, "the set of a finished request was not given back");
    }

    [Fact]
    public async Task A_connection_handed_to_kestrel_holds_no_set()
    {
        await using var backend = await TestBackend.StartNamedAsync("web1");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        var buffers = balancer.Host.FrontEnd.Buffers;
        using var tcp = await ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        // A body: the front end hands the connection to Kestrel, which keeps it.
        await WriteAsync(stream, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
        Assert.Equal(200, (await ReadResponseAsync(stream)).Status);
        Assert.Equal(1, balancer.Runtime.FrontEnd.HandOffs);
        Assert.Equal(0, buffers.Rented);
    }
}
