using Microsoft.AspNetCore.Http;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Rotation;

namespace WebFarm.Controller.Tests.Deployments;

/// <summary>
/// The routes a stage adds to the balancer's configuration (<see cref="FarmRotation.ConfigFor"/>), matched by the
/// balancer's own route table as it matches a request Kestrel parsed: only the header with the staged release's number,
/// or the stage path at a segment boundary (stripped), reach the stage farm; every other request, including one for
/// another app's host, reaches what it reached before.
/// </summary>
public sealed class StageRoutingTests
{
    private static readonly AppDefinition Hello = App("hello", []);
    private static readonly AppDefinition Shop = App("shop", ["shop.example"]);

    [Theory]
    // hello (no host: the requests no app's host claims) has release 7 staged at /v2.
    [InlineData("any.example", "/", null, "hello", false)]
    [InlineData("any.example", "/", "7", "hello.stage", false)]
    [InlineData("any.example", "/about", "7", "hello.stage", false)]
    [InlineData("any.example", "/", "6", "hello", false)] // Another release's number: the live release.
    [InlineData("any.example", "/", "07", "hello", false)] // Exactly the number.
    [InlineData("any.example", "/", "7 ", "hello", false)]
    [InlineData("any.example", "/", "", "hello", false)]
    [InlineData("any.example", "/v2", null, "hello.stage", true)]
    [InlineData("any.example", "/v2/", null, "hello.stage", true)]
    [InlineData("any.example", "/v2/about", null, "hello.stage", true)]
    [InlineData("any.example", "/V2/about", null, "hello.stage", true)] // Case-insensitive, as every route prefix.
    [InlineData("any.example", "/v2x", null, "hello", false)] // Only at a segment boundary.
    [InlineData("any.example", "/v", null, "hello", false)]
    [InlineData("any.example", "/about/v2", null, "hello", false)]
    [InlineData("any.example", "/v2/about", "7", "hello.stage", true)]
    // shop (host shop.example) has release 3 staged, header only: hello's stage is not reached on shop's host.
    [InlineData("shop.example", "/", null, "shop", false)]
    [InlineData("shop.example", "/", "3", "shop.stage", false)]
    [InlineData("SHOP.example", "/cart", "3", "shop.stage", false)]
    [InlineData("shop.example", "/", "7", "shop", false)]
    [InlineData("shop.example", "/v2/about", null, "shop", false)]
    [InlineData("any.example", "/", "3", "hello", false)] // shop's header on another host: not shop's stage.
    public void Only_the_header_or_the_stage_path_reaches_a_staged_release(string host, string path, string? header, string farm, bool stripped)
    {
        var table = RoutesWith(new StageRoute(7, "/v2"), new StageRoute(3, null));
        var route = table.Match(Request(host, path, header));
        Assert.NotNull(route);
        Assert.Equal((farm, stripped), (route.Farm.Name, route.StripPrefix));
    }

    [Fact]
    public void A_request_with_the_header_twice_reaches_the_live_release()
    {
        var request = Request("any.example", "/", "7");
        request.Headers.Append(FarmRotation.ReleaseHeader, "7");
        Assert.Equal("hello", RoutesWith(new StageRoute(7, "/v2"), null).Match(request)!.Farm.Name);
    }

    [Fact]
    public void Without_a_stage_the_header_and_the_path_reach_the_live_release_and_there_is_no_stage_farm()
    {
        using var rotation = new RotationFixture();
        rotation.Rotation.SetStage("hello", new StageRoute(7, "/v2"));
        rotation.Rotation.ApplyApps([Hello, Shop]);
        Assert.Contains("hello.stage", rotation.Rotation.Runtime.Farms.Keys);

        rotation.Rotation.SetStage("hello", null);
        rotation.Rotation.ApplyApps([Hello, Shop]);
        Assert.DoesNotContain("hello.stage", rotation.Rotation.Runtime.Farms.Keys);
        var table = rotation.Rotation.Runtime.Snapshot.Routes;
        Assert.Equal("hello", table.Match(Request("any.example", "/", "7"))!.Farm.Name);
        Assert.Equal(("hello", false), (table.Match(Request("any.example", "/v2/about", null))!.Farm.Name, table.Match(Request("any.example", "/v2/about", null))!.StripPrefix));
    }

    private static Balancer.Routing.RouteTable RoutesWith(StageRoute? hello, StageRoute? shop)
    {
        using var rotation = new RotationFixture();
        rotation.Rotation.SetStage("hello", hello);
        rotation.Rotation.SetStage("shop", shop);
        rotation.Rotation.ApplyApps([Hello, Shop]);
        return rotation.Rotation.Runtime.Snapshot.Routes;
    }

    private static HttpRequest Request(string host, string path, string? header)
    {
        var request = new DefaultHttpContext().Request;
        request.Host = new HostString(host);
        request.Path = path;
        if (header is not null)
        {
            request.Headers[FarmRotation.ReleaseHeader] = header;
        }

        return request;
    }

    private static AppDefinition App(string name, IReadOnlyList<string> hosts)
        => new(name, string.Empty, [], 5000, 5009, "/healthz", new Dictionary<string, string>(), [], hosts);

    /// <summary>A rotation whose balancer runtime is not served (no listener): its configuration and route table only.</summary>
    private sealed class RotationFixture : IDisposable
    {
        public RotationFixture()
            => Rotation = FarmRotation.StartAsync("servers", null, null, null, "/healthz", TimeSpan.FromSeconds(5), [], TimeSpan.FromSeconds(5), null, default).GetAwaiter().GetResult();

        public FarmRotation Rotation { get; }

        public void Dispose() => Rotation.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
