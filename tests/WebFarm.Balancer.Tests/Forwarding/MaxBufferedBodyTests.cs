using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Forwarding;

/// <summary>
/// <c>Retries.MaxBufferedBody</c>: an idempotent request whose Content-Length is at most the limit is kept, so it is
/// replayed on another server when its first server dies before answering; a larger (or chunked) body is streamed,
/// so after that server has read it nothing can be resent, and only a connect failure (nothing sent) is retried.
/// </summary>
public sealed class MaxBufferedBodyTests
{
    private const int Limit = 1024;

    /// <summary>
    /// The first server ("web1", tried first by the First policy) reads each request completely, head and body,
    /// records the body's length and closes the connection without a byte of response: a dead connection.
    /// </summary>
    private sealed class DyingServer : IAsyncDisposable
    {
        private readonly RawHttp.Server _server;

        public DyingServer()
        {
            _server = new RawHttp.Server(async (stream, ct) =>
            {
                var head = await RawHttp.ReadHeadAsync(stream, ct);
                var length = RawHttp.ContentLength(head);
                if (length >= 0)
                {
                    await stream.ReadExactlyAsync(new byte[length], ct);
                    BodiesRead.Enqueue($"{length} bytes");
                }
                else
                {
                    // Chunked: everything up to the last chunk.
                    var total = 0;
                    while (await RawHttp.ReadChunkAsync(stream, ct) is { } chunk)
                    {
                        total += chunk.Length;
                    }

                    BodiesRead.Enqueue($"{total} bytes chunked");
                }
            });
        }

        public string Address => _server.Address;

        /// <summary>Every request body this server read in full before it closed the connection: "5 bytes" or "5 bytes chunked".</summary>
        public ConcurrentQueue<string> BodiesRead { get; } = new();

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }

    /// <summary>The second server ("web2") answers with the length and SHA-256 of the body it received.</summary>
    private static Task<TestBackend> StartHashingBackendAsync() => TestBackend.StartAsync(async context =>
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        await context.Response.WriteAsync($"{body.Length}:{Convert.ToHexString(SHA256.HashData(body.ToArray()))}");
    });

    private static string Expected(byte[] payload) => $"{payload.Length}:{Convert.ToHexString(SHA256.HashData(payload))}";

    private static BalancerConfig Farm(string first, string second) => TestBalancer.SingleFarm([first, second], f => f with
    {
        LoadBalancing = LoadBalancingAlgorithm.First,
        Retries = new RetryOptions { MaxAttempts = 3, MaxBufferedBody = Limit },
    });

    [Theory]
    [InlineData("PUT", 1)]
    [InlineData("PUT", Limit)]
    [InlineData("DELETE", Limit)]
    public async Task An_idempotent_body_up_to_the_limit_is_replayed_on_another_server_after_a_dead_connection(string method, int size)
    {
        await using var dying = new DyingServer();
        await using var good = await StartHashingBackendAsync();
        await using var balancer = await TestBalancer.StartAsync(Farm(dying.Address, good.Address));
        var payload = RandomNumberGenerator.GetBytes(size);

        using var response = await balancer.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/doc") { Content = new ByteArrayContent(payload) });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Expected(payload), await response.Content.ReadAsStringAsync());
        Assert.Equal([$"{size} bytes"], dying.BodiesRead); // web1 had the whole body and died: the same bytes went to web2
        Assert.Equal(1, good.Requests);
    }

    /// <summary>
    /// Sends <paramref name="request"/> to a farm whose first server reads it whole and dies: it must come back as a
    /// 502 naming that server, and never reach the second one.
    /// </summary>
    private static async Task AssertNotResentAsync(HttpRequestMessage request, string readByTheDyingServer)
    {
        await using var dying = new DyingServer();
        await using var good = await StartHashingBackendAsync();
        await using var balancer = await TestBalancer.StartAsync(Farm(dying.Address, good.Address));

        using (request)
        using (var response = await balancer.Client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Contains("server 'web1' in farm 'web' failed before sending response headers", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal([readByTheDyingServer], dying.BodiesRead);
        Assert.Equal(0, good.Requests);
    }

    [Fact]
    public Task An_idempotent_body_over_the_limit_is_streamed_and_not_resent_after_a_dead_connection()
        => AssertNotResentAsync(new HttpRequestMessage(HttpMethod.Put, "/doc") { Content = new ByteArrayContent(RandomNumberGenerator.GetBytes(Limit + 1)) }, $"{Limit + 1} bytes");

    [Fact]
    public Task A_small_chunked_body_is_streamed_and_not_resent_after_a_dead_connection()
    {
        // No Content-Length: the balancer cannot know the body fits, so it streams it.
        var request = new HttpRequestMessage(HttpMethod.Put, "/doc") { Content = new StringContent("small") };
        request.Headers.TransferEncodingChunked = true;
        return AssertNotResentAsync(request, "5 bytes chunked");
    }

    [Fact]
    public Task A_small_POST_body_is_not_resent_after_a_dead_connection()
        => AssertNotResentAsync(new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = new ByteArrayContent(RandomNumberGenerator.GetBytes(16)) }, "16 bytes"); // not idempotent: web1 may have acted on it

    [Theory]
    [InlineData("PUT")]
    [InlineData("POST")]
    public async Task A_body_over_the_limit_is_still_retried_after_a_connect_failure(string method)
    {
        // Nothing was sent to the first server, so the streamed body is still whole: any method goes to the next one.
        await using var good = await StartHashingBackendAsync();
        await using var balancer = await TestBalancer.StartAsync(Farm(RawHttp.ClosedPortAddress(), good.Address));
        var payload = RandomNumberGenerator.GetBytes(Limit * 4);

        using var response = await balancer.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/doc") { Content = new ByteArrayContent(payload) });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Expected(payload), await response.Content.ReadAsStringAsync());
        Assert.Equal(1, WebFarm.Balancer.Statistics.ServerStatisticsSnapshot.Capture(balancer.Runtime.GetServer("web", "web1")).TransportFailures);
    }
}
