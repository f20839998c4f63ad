using System.Net;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Statistics;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Forwarding;

/// <summary>502/503/504 with clear bodies and request ids; failures that cost only their own request.</summary>
[Collection(TimingCollection.Name)]
public sealed class ErrorMappingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static FarmOptions NoRetries(FarmOptions f) => f with { Retries = new RetryOptions { MaxAttempts = 1 } };

    /// <summary>
    /// Reads the rest of a response the balancer must abort, within <see cref="Deadline"/>. A balancer that hangs
    /// fails: the deadline's TimeoutException is not the aborted connection this asserts, nor is a clean end.
    /// </summary>
    private static async Task<Exception> AssertClientConnectionAbortedAsync(Task read)
    {
        var error = await Record.ExceptionAsync(() => read.WaitAsync(Deadline));
        Assert.False(error is TimeoutException, $"the balancer neither finished nor aborted the response within {Deadline.TotalSeconds:F0} s");
        Assert.True(error is HttpRequestException or IOException, "expected the client connection to be aborted, got " + (error?.ToString() ?? "a complete response"));
        return error!;
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string expectedText)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        var id = response.Headers.GetValues("X-Request-Id").Single();
        Assert.Contains(expectedText, body);
        Assert.Contains(id, body);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task Connection_refused_is_502_with_a_clear_body()
    {
        var config = TestBalancer.SingleFarm([RawHttp.ClosedPortAddress()], NoRetries);
        await using var balancer = await TestBalancer.StartAsync(config);

        using var response = await balancer.Client.GetAsync("/");

        await AssertErrorAsync(response, HttpStatusCode.BadGateway, "WebFarm: cannot connect to server 'web1' in farm 'web'");
        Assert.Equal(1, ServerStatisticsSnapshot.Capture(balancer.Runtime.Farms["web"].Servers[0]).TransportFailures);
    }

    [Fact]
    public async Task No_available_server_is_503_with_retry_after()
    {
        await using var backend = await TestBackend.StartNamedAsync("b");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        balancer.Runtime.SetState("web", "web1", ServerState.Offline);

        using var response = await balancer.Client.GetAsync("/");

        await AssertErrorAsync(response, HttpStatusCode.ServiceUnavailable, "WebFarm: no available server in farm 'web'");
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(0, backend.Requests);
        Assert.Equal(1, balancer.Runtime.Farms["web"].Statistics.NoServerAvailable);
    }

    [Fact]
    public async Task Response_headers_timeout_is_504_for_a_server_that_never_answers()
    {
        // Accepts the connection, reads the request, never answers ("pulled plug").
        await using var silent = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        var config = TestBalancer.SingleFarm([silent.Address], f => NoRetries(f) with { Timeouts = new TimeoutOptions { ResponseHeaders = TimeSpan.FromMilliseconds(500) } });
        await using var balancer = await TestBalancer.StartAsync(config);

        using var response = await balancer.Client.GetAsync("/slow");

        await AssertErrorAsync(response, HttpStatusCode.GatewayTimeout, "sent no response headers within 500ms");
    }

    [Fact]
    public async Task Connect_timeout_is_502()
    {
        // A listener whose accept queue is full and never drained: the kernel drops further SYNs,
        // so a new connection neither succeeds nor is refused; only the connect timeout ends it.
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var address = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}";
        var fillers = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var filler = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                fillers.Add(filler);
                _ = filler.ConnectAsync(listener.LocalEndPoint!);
            }

            await Task.Delay(200);
            var config = TestBalancer.SingleFarm([address], f => NoRetries(f) with { Timeouts = new TimeoutOptions { Connect = TimeSpan.FromMilliseconds(500), ResponseHeaders = TimeSpan.FromSeconds(30) } });
            await using var balancer = await TestBalancer.StartAsync(config);

            using var response = await balancer.Client.GetAsync("/");

            await AssertErrorAsync(response, HttpStatusCode.BadGateway, "cannot connect to server 'web1' in farm 'web' (connect timeout)");
        }
        finally
        {
            foreach (var filler in fillers)
            {
                filler.Dispose();
            }
        }
    }

    [Fact]
    public async Task Idle_timeout_aborts_a_response_that_stops_flowing()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.ContentLength = 100;
            await context.Response.WriteAsync("partial");
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        var config = TestBalancer.SingleFarm([backend.Address], f => f with { Timeouts = new TimeoutOptions { Idle = TimeSpan.FromMilliseconds(500) } });
        await using var balancer = await TestBalancer.StartAsync(config);

        using var response = await balancer.Client.GetAsync("/", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await AssertClientConnectionAbortedAsync(response.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, ServerStatisticsSnapshot.Capture(balancer.Runtime.Farms["web"].Servers[0]).TransportFailures);
    }

    [Fact]
    public async Task Server_failing_mid_response_aborts_the_client_connection_http1_and_http2()
    {
        // The server sends part of its body, waits until the client has it, then dies.
        var clientGotPart = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.ContentLength = 1000;
            await context.Response.WriteAsync(new string('x', 100));
            await context.Response.Body.FlushAsync();
            await clientGotPart.Task.WaitAsync(TimeSpan.FromSeconds(10));
            context.Abort();
        });

        async Task<Exception> ReadUntilFailure(TestBalancer balancer)
        {
            using var response = await balancer.Client.GetAsync("/", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var stream = await response.Content.ReadAsStreamAsync();
            await stream.ReadExactlyAsync(new byte[100]).AsTask().WaitAsync(Deadline);
            clientGotPart.TrySetResult();
            return await AssertClientConnectionAbortedAsync(stream.CopyToAsync(Stream.Null));
        }

        await using (var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend)))
        {
            await ReadUntilFailure(balancer);
        }

        clientGotPart = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend), protocols: ListenProtocols.Http2))
        {
            var error = await ReadUntilFailure(balancer);

            // HTTP/2: the stream is reset, the connection survives for other requests.
            Assert.Contains("INTERNAL_ERROR", error.ToString());
        }
    }

    [Fact]
    public async Task A_server_sending_garbage_costs_only_that_request()
    {
        await using var garbage = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            await RawHttp.WriteAsync(stream, "this is not HTTP at all\r\n\r\n");
        });
        await using var good = await TestBackend.StartNamedAsync("good");
        var config = TestBalancer.SingleFarm([garbage.Address, good.Address], f => NoRetries(f) with { LoadBalancing = WebFarm.Balancer.LoadBalancing.LoadBalancingAlgorithm.First });
        await using var balancer = await TestBalancer.StartAsync(config);

        using var bad = await balancer.Client.GetAsync("/");
        await AssertErrorAsync(bad, HttpStatusCode.BadGateway, "server 'web1' in farm 'web' failed before sending response headers");

        balancer.Runtime.SetState("web", "web1", ServerState.Offline);
        Assert.Equal("good", await balancer.Client.GetStringAsync("/"));
    }

    [Fact]
    public async Task Client_disconnect_cancels_the_upstream_request_and_is_not_counted_against_the_server()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstreamCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                upstreamCancelled.TrySetResult();
            }
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));

        // The client resets its connection: gone for sure. (A FIN alone is a half-close, and a complete request is
        // still answered after one: HostileRequestTests.)
        using (var tcp = await RawHttp.ConnectAsync(balancer.Uri))
        {
            await RawHttp.WriteAsync(tcp.GetStream(), "GET /wait HTTP/1.1\r\nHost: t\r\n\r\n");
            await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
            RawHttp.Reset(tcp);
        }

        await upstreamCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var farm = balancer.Runtime.Farms["web"];
        await Eventually.True(() => farm.Statistics.ClientAborts == 1 && farm.Servers[0].InFlight == 0);
        var stats = ServerStatisticsSnapshot.Capture(farm.Servers[0]);
        Assert.Equal(0, stats.TransportFailures);
        Assert.True(farm.Servers[0].Healthy);
    }
}
