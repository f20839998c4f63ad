using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Transport;

/// <summary>
/// The balancer end to end with each socket engine named explicitly, so the one that is not the default here keeps
/// coverage: a GET the HTTP/1.1 front end serves, a POST with a body through Kestrel's HTTP stack, and a refused
/// server. The rest of the suite runs on the default (Auto).
/// </summary>
public sealed class SocketEngineTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static async Task<TestBalancer> StartAsync(BalancerConfig config, SocketEngine engine)
    {
        var balancer = await TestBalancer.StartAsync(config with { SocketEngine = engine });
        var epoll = engine == SocketEngine.Epoll;
        Assert.Equal(epoll, balancer.Runtime.Config.UsesEpoll);
        Assert.Equal(epoll, balancer.Runtime.Farms["web"].View.Transport.UsesEpoll);
        return balancer;
    }

    /// <summary>Waits until the front end's counters read as expected (they may move just after the response went out).</summary>
    private static async Task AssertFrontEndAsync(TestBalancer balancer, long requests, long handOffs)
    {
        var frontEnd = balancer.Runtime.FrontEnd;
        await Eventually.True(
            () => frontEnd.Requests == requests && frontEnd.HandOffs == handOffs,
            TimeSpan.FromSeconds(5),
            $"expected {requests} front-end request(s) and {handOffs} hand-off(s); saw {frontEnd.Requests} and {frontEnd.HandOffs}");
    }

    [Theory]
    [InlineData(SocketEngine.Sockets)]
    [InlineData(SocketEngine.Epoll)]
    public async Task Get_is_served_by_the_front_end(SocketEngine engine)
    {
        await using var backend = await TestBackend.StartNamedAsync("b1");
        await using var balancer = await StartAsync(TestBalancer.SingleFarm(backend), engine);

        for (var i = 0; i < 3; i++)
        {
            using var response = await balancer.Client.GetAsync("/hello").WaitAsync(Deadline);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("b1", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(3, backend.Requests);
        await AssertFrontEndAsync(balancer, requests: 3, handOffs: 0);
    }

    [Theory]
    [InlineData(SocketEngine.Sockets)]
    [InlineData(SocketEngine.Epoll)]
    public async Task Post_with_a_body_goes_through_kestrel(SocketEngine engine)
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[16 * 1024];
            long length = 0;
            int n;
            while ((n = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                length += n;
            }

            await context.Response.WriteAsync($"{length}:{Convert.ToHexString(hash.GetHashAndReset())}");
        });
        await using var balancer = await StartAsync(TestBalancer.SingleFarm(backend), engine);
        var body = new byte[3 * 1024 * 1024 + 5];
        new Random(7).NextBytes(body);

        using var response = await balancer.Client.PostAsync("/upload", new ByteArrayContent(body)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{body.Length}:{Convert.ToHexString(SHA256.HashData(body))}", await response.Content.ReadAsStringAsync());
        await AssertFrontEndAsync(balancer, requests: 0, handOffs: 1);
    }

    [Theory]
    [InlineData(SocketEngine.Sockets)]
    [InlineData(SocketEngine.Epoll)]
    public async Task Refused_server_is_502(SocketEngine engine)
    {
        var config = TestBalancer.SingleFarm([RawHttp.ClosedPortAddress()], f => f with { Retries = new RetryOptions { MaxAttempts = 1 } });
        await using var balancer = await StartAsync(config, engine);

        using var response = await balancer.Client.GetAsync("/").WaitAsync(Deadline);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("cannot connect to server 'web1' in farm 'web'", await response.Content.ReadAsStringAsync());
    }
}
