using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Admin;

/// <summary>
/// The controller farms of the admin API (/api/controller/farms): a farm created at run time like one of the file's,
/// reached only by its header and path routes, replaced with its servers kept, kept across a reload, removed with its
/// routes; bad input refused with a 400 naming the field, and nothing applied.
/// </summary>
public sealed class ControllerFarmApiTests
{
    private const string Header = "X-WebFarm-Release";

    [Fact]
    public async Task A_controller_farm_takes_only_its_header_and_path_is_replaced_with_its_servers_kept_survives_a_reload_and_is_removed()
    {
        await using var live = await TestBackend.StartNamedAsync("live");
        await using var staged = await TestBackend.StartAsync(context => context.Response.WriteAsync("staged " + context.Request.Path));
        await using var balancer = await TestBalancer.StartFromJsonAsync(FileConfig(live, "1s"));
        var admin = balancer.Admin;

        using (var created = await admin.PutAsJsonAsync("/api/controller/farms/web.stage", StageBody()))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal(2, (await Json(created)).GetProperty("routes").GetArrayLength());
        }

        var farms = await Json(await admin.GetAsync("/api/farms"));
        Assert.Equal([("web", "config"), ("web.stage", "controller")], farms.EnumerateArray().Select(f => (f.GetProperty("name").GetString(), f.GetProperty("origin").GetString())).Order());
        using (var added = await admin.PostAsJsonAsync("/api/farms/web.stage/servers", new { name = "web1", address = staged.Address }))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }

        await Eventually.True(async () => await GetAsync(balancer, "/", "7") == "staged /", because: "the header reaches the controller farm (slow start lets the new server in)");
        Assert.Equal("staged /about", await GetAsync(balancer, "/v2/about", null)); // The prefix is stripped.
        Assert.Equal("live", await GetAsync(balancer, "/", null));
        Assert.Equal("live", await GetAsync(balancer, "/", "6"));
        Assert.Equal("live", await GetAsync(balancer, "/v2x", null));
        Assert.Equal("live", await GetAsync(balancer, "/api/x", "7")); // The file's longer prefix wins: the file's routes are never shadowed.

        // Replaced with the header route alone: its server stays, the path route goes.
        using (var replaced = await admin.PutAsJsonAsync("/api/controller/farms/web.stage", new { like = "web", routes = new[] { new { headers = new Dictionary<string, string> { [Header] = "7" } } } }))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        }

        Assert.Equal("staged /", await GetAsync(balancer, "/", "7"));
        Assert.Equal("live", await GetAsync(balancer, "/v2/about", null));

        // A reload of the file keeps the controller's farm and its routes.
        var reloads = balancer.Runtime.Events.LastSequence;
        WriteConfig(balancer.ConfigPath!, FileConfig(live, "2s"));
        await Eventually.True(() => balancer.Runtime.Events.Since(reloads, 100).Any(e => e.Kind == EventKind.ConfigReloaded && e.Farm is null), because: "the file is reloaded");
        Assert.Equal("staged /", await GetAsync(balancer, "/", "7"));
        Assert.Single(await JsonArray(admin, "/api/controller/farms"));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/controller/farms/web.stage")).StatusCode);
        Assert.Equal("live", await GetAsync(balancer, "/", "7"));
        Assert.Equal(["web"], balancer.Runtime.Farms.Keys);
        Assert.Empty(await JsonArray(admin, "/api/controller/farms"));
        await AssertError(await admin.DeleteAsync("/api/controller/farms/web.stage"), HttpStatusCode.NotFound, "no farm named 'web.stage'");
    }

    [Fact]
    public async Task A_file_that_comes_to_name_the_controller_farm_wins_at_its_reload()
    {
        await using var live = await TestBackend.StartNamedAsync("live");
        await using var balancer = await TestBalancer.StartFromJsonAsync(FileConfig(live, "1s"));
        Assert.Equal(HttpStatusCode.Created, (await balancer.Admin.PutAsJsonAsync("/api/controller/farms/web.stage", StageBody())).StatusCode);

        WriteConfig(balancer.ConfigPath!, FileConfigWithStageFarm(live));
        await Eventually.True(() => balancer.Runtime.ControllerFarms.Count == 0, because: "the file's farm of the same name replaces the controller's");
        Assert.Contains(balancer.Runtime.Events.Since(0, 1000), e => e.Kind == EventKind.ConfigReloaded && e.Farm == "web.stage" && e.Message.Contains("conflicts with it", StringComparison.Ordinal));
        Assert.Equal("live", await GetAsync(balancer, "/", "7"));
        await AssertError(await balancer.Admin.PutAsJsonAsync("/api/controller/farms/web.stage", StageBody()), HttpStatusCode.BadRequest, "name: farm 'web.stage' comes from the configuration file");
    }

    [Theory]
    [InlineData("web.stage", """{"like": "nope", "routes": [{"headers": {"X-WebFarm-Release": "7"}}]}""", "like: the configuration file has no farm 'nope'")]
    [InlineData("web", """{"like": "web", "routes": [{"headers": {"X-WebFarm-Release": "7"}}]}""", "name: farm 'web' comes from the configuration file: a controller cannot replace it")]
    [InlineData("web.stage", """{"like": "web", "routes": [{"host": "shop.example"}]}""", "routes[0]: has neither Headers nor a Path")]
    [InlineData("web.stage", """{"like": "web", "routes": [{"path": "/"}]}""", "routes[0]: has neither Headers nor a Path")]
    [InlineData("web.stage", """{"like": "web", "routes": [{"path": "/API/"}]}""", "routes[0]: has the same Host, Path and Headers as the configuration file's route $.Routes[1] (farm 'web')")]
    [InlineData("web.stage", """{"like": "web", "routes": [{"path": "/v2"}, {"path": "/v2"}]}""", "routes[1]: has the same Host, Path and Headers as this farm's route $.routes[0]")]
    [InlineData("web.stage", """{"like": "web", "routes": [{"headers": {"X-WebFarm-Release": "7"}}, {"path": "v2"}]}""", "routes[1].Path: \"v2\"")]
    [InlineData("web.stage", """{"like": "web", "routes": [{"headers": {"Bad Header": "7"}}]}""", "routes[0].Headers.Bad Header: 'Bad Header' is not a valid header name")]
    [InlineData("web.stage", """{"like": "web", "routes": [{"headers": {"X-WebFarm-Release": 7}}]}""", "routes[0].headers.X-WebFarm-Release: expected")]
    [InlineData("web.stage", """{"like": "web", "routes": [{"headers": {"X-WebFarm-Release": "7"}, "stripPrefix": true}]}""", "routes[0].StripPrefix: needs a Path")]
    [InlineData("web.stage", """{"like": "web", "routes": [{"headers": {"X-WebFarm-Release": "7"}, "farm": "web"}]}""", "routes[0].Farm: is 'web': a controller farm's routes reach that farm ('web.stage') only")]
    [InlineData("web.stage", """{"like": "web", "routes": [{"path": "/v2", "rewrite": [{"match": "^/a$", "action": "redirect", "url": "/b"}]}]}""", "routes[0]: has Compression, Rewrite or Cache")]
    [InlineData("web.stage", """{"like": "web", "routes": [{"path": "/v2", "verb": "GET"}]}""", "routes[0].verb: unknown")]
    [InlineData("web.stage", """{"like": "web", "routes": []}""", "routes: has 0 routes")]
    [InlineData("web.stage", """{"like": "web"}""", "routes: is required")]
    [InlineData("web.stage", """{"routes": [{"path": "/v2"}], "owner": "me"}""", "owner: unknown field")]
    [InlineData("web.stage", """[1]""", "body: expected")]
    [InlineData("web.stage", """{"like": """, "body: not valid JSON")]
    [InlineData("bad name!", """{"like": "web", "routes": [{"path": "/v2"}]}""", "name: 'bad name!' is not a farm name")]
    public async Task Bad_input_is_a_400_naming_the_field_and_nothing_is_applied(string farm, string body, string error)
    {
        await using var live = await TestBackend.StartNamedAsync("live");
        await using var balancer = await TestBalancer.StartFromJsonAsync(FileConfig(live, "1s"));
        var routes = balancer.Runtime.Snapshot.Routes.Count;

        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        await AssertError(await balancer.Admin.PutAsync($"/api/controller/farms/{Uri.EscapeDataString(farm)}", content), HttpStatusCode.BadRequest, error);

        Assert.Equal(["web"], balancer.Runtime.Farms.Keys);
        Assert.Empty(balancer.Runtime.ControllerFarms);
        Assert.Equal(routes, balancer.Runtime.Snapshot.Routes.Count);
        Assert.Equal("live", await GetAsync(balancer, "/v2/x", "7"));
    }

    [Fact]
    public async Task The_files_farms_cannot_be_removed_and_the_token_rules_apply()
    {
        await using var live = await TestBackend.StartNamedAsync("live");
        await using var balancer = await TestBalancer.StartFromJsonAsync(FileConfig(live, "1s", token: "controller-farms-admin-token"));
        using (var anonymous = await balancer.Admin.PutAsJsonAsync("/api/controller/farms/web.stage", StageBody()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        balancer.UseAdminToken("controller-farms-admin-token");
        await AssertError(await balancer.Admin.DeleteAsync("/api/controller/farms/web"), HttpStatusCode.BadRequest, "farm 'web' comes from the configuration file: the admin API removes only farms a controller created");
        Assert.Equal(["web"], balancer.Runtime.Farms.Keys);
        Assert.Empty(balancer.Runtime.ControllerFarms);
    }

    private static object StageBody() => new
    {
        like = "web",
        routes = new object[]
        {
            new { headers = new Dictionary<string, string> { [Header] = "7" } },
            new { path = "/v2", stripPrefix = true },
        },
    };

    /// <summary>Farm web (the live server) reached by every request, and by a route of its own for /api.</summary>
    private static string FileConfig(TestBackend live, string interval, string? token = null) => $$"""
        {
          "Listen": ["http://127.0.0.1:0"],
          "Admin": { "Listen": "http://127.0.0.1:0"{{(token is null ? string.Empty : $", \"Token\": \"{token}\"")}} },
          "Farms": { "web": { "Health": { "Path": "/", "Interval": "{{interval}}" }, "Servers": [ { "Name": "live", "Address": "{{live.Address}}" } ] } },
          "Routes": [ { "Farm": "web" }, { "Path": "/api", "Farm": "web" } ]
        }
        """;

    private static string FileConfigWithStageFarm(TestBackend live) => $$"""
        {
          "Listen": ["http://127.0.0.1:0"],
          "Admin": { "Listen": "http://127.0.0.1:0" },
          "Farms": {
            "web": { "Servers": [ { "Name": "live", "Address": "{{live.Address}}" } ] },
            "web.stage": { "Servers": [ { "Name": "live", "Address": "{{live.Address}}" } ] }
          },
          "Routes": [ { "Farm": "web" } ]
        }
        """;

    private static void WriteConfig(string path, string json)
    {
        var temp = path + ".new";
        File.WriteAllText(temp, json);
        File.Move(temp, path, overwrite: true);
    }

    private static async Task<string> GetAsync(TestBalancer balancer, string path, string? release)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (release is not null)
        {
            request.Headers.Add(Header, release);
        }

        using var response = await balancer.Client.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
        => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static async Task<List<JsonElement>> JsonArray(HttpClient admin, string path)
        => [.. (await Json(await admin.GetAsync(path))).EnumerateArray()];

    private static async Task AssertError(HttpResponseMessage response, HttpStatusCode status, string text)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
            Assert.Contains(text, JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }
}
