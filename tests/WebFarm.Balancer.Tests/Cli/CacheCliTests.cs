using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Caching;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Cli;

/// <summary>`webfarm cache purge` run as a real process against a real balancer's admin API.</summary>
public sealed class CacheCliTests
{
    [Fact]
    public async Task Cache_purge_removes_by_url_and_prefix_with_clear_errors_and_exit_codes()
    {
        await using var origin = await CacheOrigin.StartAsync();
        var config = TestBalancer.SingleFarm(origin.Backend) with { Routes = [new RouteOptions { Farm = "web", Cache = new CacheOptions() }] };
        await using var balancer = await TestBalancer.StartAsync(config);
        var admin = balancer.AdminUri!.ToString();
        foreach (var path in new[] { "/cli/one", "/cli/dir/a", "/cli/dir/b", "/cli/keep" })
        {
            origin.Set(path, 200, path, "Cache-Control: max-age=600");
            Assert.Equal("MISS", (await CacheAnswer.SendAsync(balancer.Client, path)).XCache);
        }

        var byUrl = await WebfarmProcess.RunAsync("cache", "purge", $"http://{balancer.Uri.Authority}/cli/one", "--balancer", admin);
        Assert.Equal(0, byUrl.ExitCode);
        Assert.Contains("purged 1 cached response(s)", byUrl.Output);
        Assert.Equal("MISS", (await CacheAnswer.SendAsync(balancer.Client, "/cli/one")).XCache);

        var byPrefix = await WebfarmProcess.RunAsync("cache", "purge", "--prefix", "/cli/dir/", "--balancer", admin);
        Assert.Equal(0, byPrefix.ExitCode);
        Assert.Contains("purged 2 cached response(s)", byPrefix.Output);
        Assert.Equal("MISS", (await CacheAnswer.SendAsync(balancer.Client, "/cli/dir/a")).XCache);
        Assert.Equal("HIT", (await CacheAnswer.SendAsync(balancer.Client, "/cli/keep")).XCache);

        var neither = await WebfarmProcess.RunAsync("cache", "purge", "--balancer", admin);
        Assert.Equal(2, neither.ExitCode);
        Assert.Contains("give a URL or --prefix P", neither.Error);

        var both = await WebfarmProcess.RunAsync("cache", "purge", "http://x/a", "--prefix", "/a", "--balancer", admin);
        Assert.Equal(2, both.ExitCode);

        var refused = await WebfarmProcess.RunAsync("cache", "purge", "not a url", "--balancer", admin);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("400 url: \"not a url\" is not an absolute http(s) URL", refused.Error);

        var badBalancer = await WebfarmProcess.RunAsync("cache", "purge", "/a", "--balancer", "ftp://x");
        Assert.Equal(2, badBalancer.ExitCode);
        Assert.Contains("--balancer 'ftp://x' is not an http(s) URL", badBalancer.Error);

        // The message names what the command tried to reach: the balancer's admin API, never "controller".
        var closed = RawHttp.ClosedPortAddress();
        var unreachable = await WebfarmProcess.RunAsync("cache", "purge", "--prefix", "/", "--balancer", closed);
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("cannot reach the admin API", unreachable.Error);
        Assert.Contains("no admin API at " + closed, unreachable.Error);
        Assert.DoesNotContain("controller", unreachable.Error, StringComparison.OrdinalIgnoreCase);
    }
}
