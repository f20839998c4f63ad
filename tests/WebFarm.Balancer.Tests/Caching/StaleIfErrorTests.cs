using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Caching;

/// <summary>
/// stale-if-error: with every server down (stopped) or failing (5xx), a stale copy within the route's StaleIfError
/// window is served with X-Cache: STALE; a must-revalidate copy never is, and nothing stale is served without the window.
/// </summary>
public sealed class StaleIfErrorTests
{
    [Theory]
    [InlineData("every server stopped", true, "Cache-Control: max-age=60", 200, "STALE")]
    [InlineData("every server answers 503", false, "Cache-Control: max-age=60", 200, "STALE")]
    [InlineData("must-revalidate", true, "Cache-Control: max-age=60, must-revalidate", 502, "MISS")]
    [InlineData("s-maxage implies proxy-revalidate", true, "Cache-Control: s-maxage=60", 502, "MISS")]
    public async Task A_stale_copy_stands_in_when_no_server_can_answer(string row, bool stop, string cacheControl, int status, string xCache)
    {
        _ = row;
        await using var first = await CacheOrigin.StartAsync();
        await using var second = await CacheOrigin.StartAsync();
        var config = TestBalancer.SingleFarm(first.Backend, second.Backend) with
        {
            Routes = [new RouteOptions { Farm = "web", Cache = new CacheOptions { StaleIfError = TimeSpan.FromMinutes(10) } }],
        };
        await using var balancer = await TestBalancer.StartAsync(config);
        var fixture = new Sender(balancer);

        // Age beyond max-age: the copy is stale from the start (within the 10-minute window).
        foreach (var origin in new[] { first, second })
        {
            origin.Set("/page", 200, "stale body", cacheControl, "Age: 120");
        }

        Assert.Equal("MISS", (await fixture.SendAsync("/page")).XCache);

        foreach (var origin in new[] { first, second })
        {
            if (stop)
            {
                await origin.DisposeAsync();
            }
            else
            {
                origin.Set("/page", 503, "down");
            }
        }

        var answer = await fixture.SendAsync("/page");
        Assert.Equal(status, answer.Status);
        Assert.Equal(xCache, answer.XCache);
        if (status == 200)
        {
            Assert.Equal("stale body", answer.Body);
            Assert.True(answer.Age >= 120);
        }
    }

    [Fact]
    public async Task Without_a_window_the_error_goes_to_the_client()
    {
        await using var origin = await CacheOrigin.StartAsync();
        var config = TestBalancer.SingleFarm(origin.Backend) with { Routes = [new RouteOptions { Farm = "web", Cache = new CacheOptions() }] };
        await using var balancer = await TestBalancer.StartAsync(config);
        var sender = new Sender(balancer);
        origin.Set("/page", 200, "old", "Cache-Control: max-age=60", "Age: 120");
        await sender.SendAsync("/page");
        origin.Set("/page", 500, "broken");

        var answer = await sender.SendAsync("/page");
        Assert.Equal(500, answer.Status);
        Assert.Equal("broken", answer.Body);
        Assert.Equal("MISS", answer.XCache);
    }

    private sealed class Sender(TestBalancer balancer)
    {
        public Task<CacheAnswer> SendAsync(string path) => CacheAnswer.SendAsync(balancer.Client, path);
    }
}
