using System.Text.Json;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Apps;

/// <summary>Bad app definitions and operations on unknown apps or servers: a specific status and message, and nothing stored or changed.</summary>
public sealed class AppApiTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("[]", "body: expected a JSON object")]
    [InlineData("""{"command":"/bin/app","ports":"5000"}""", "name: is required")]
    [InlineData("""{"name":"hello","command":" ","ports":"5000"}""", "command: is empty: give the program")]
    [InlineData("""{"name":"hello","command":"/bin/app","entry":"Hello.dll","ports":"5000"}""", "entry: only for an app that runs its releases (no command)")]
    [InlineData("""{"name":"hello","entry":"../Hello.dll","ports":"5000"}""", "entry: '../Hello.dll' is not a path inside a release")]
    [InlineData("""{"name":"hello","command":"/bin/app"}""", "ports: is required")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5010-5000"}""", "ports: '5010-5000' starts above its end")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"0-10"}""", "ports: '0-10' is not a port or a range")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":5000}""", "ports: expected a string, got 5000")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","healthPath":"healthz"}""", "healthPath: 'healthz': a health path must start with '/'")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","healthStatus":"200-999"}""", "healthStatus: '200-999': \"200-999\" in \"200-999\" is out of range")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","arguments":"--x"}""", "arguments: expected a list of strings")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","arguments":["a",1]}""", "arguments[1]: expected a string, got 1")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","environment":{"A=B":"x"}}""", "environment: 'A=B' is not a variable name")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","environment":{"A":3}}""", "environment.A: expected a string, got 3")]
    [InlineData("""{"name":"hello world","command":"/bin/app","ports":"5000"}""", "name: 'hello world' must be 1-64 characters")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","hosts":["bad host"]}""", "hosts: 'bad host' is not a host name")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","replicas":3}""", "replicas: unknown field")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","loadBalancing":"adaptive"}""", "loadBalancing: 'adaptive' is not a mode; expected \"static\"")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","loadBalancing":true}""", "loadBalancing: expected a string, got true")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","on":"role=web"}""", "on: expected an object of labels like {\"role\": \"web\"}, got \"role=web\"")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","on":{"role":"we b"}}""", "on: 'role=we b': value 'we b' has ' ': only letters, digits")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","on":{"":"web"}}""", "on: '=web': key is empty")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","on":{"role":"-web"}}""", "on: 'role=-web': value '-web' must begin and end with a letter or a digit")]
    [InlineData("""{"name":"hello","command":"/bin/app","ports":"5000","on":{"role":1}}""", "on.role: expected a string, got 1")]
    public async Task A_bad_app_is_a_400_naming_the_field_and_nothing_is_stored(string body, string expected)
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        var (status, error) = await controller.PostAsync("api/apps", body);
        Assert.Equal(400, status);
        Assert.Contains(expected, error);
        Assert.Empty(await controller.ListAsync("api/apps"));
        Assert.Single(controller.Host.Rotation.Runtime.Farms); // No farm was created for it.
    }

    [Fact]
    public async Task Conflicts_with_the_farm_as_it_is_are_409s_that_change_nothing()
    {
        var data = _dir.Sub("controller");
        await using (var controller = await TestController.StartAsync(data))
        {
            var (status, _) = await controller.PostAsync("api/apps", """{"name":"hello","command":"/bin/app","ports":"5000-5009"}""");
            Assert.Equal(201, status);

            (status, var error) = await controller.PostAsync("api/apps", """{"name":"hello","command":"/bin/other","ports":"6000","hosts":["b.example"]}""");
            Assert.Equal((409, "name: an app named 'hello' exists; remove it first (`webfarm apps remove hello`)"), (status, error));

            (status, error) = await controller.PostAsync("api/apps", """{"name":"api","command":"/bin/api","ports":"5005-5020","hosts":["api.example"]}""");
            Assert.Equal(409, status);
            Assert.Equal("ports: 5005-5020 overlaps app 'hello''s ports 5000-5009 on every server; choose a range no app on the same servers uses", error);

            (status, error) = await controller.PostAsync("api/apps", """{"name":"api","command":"/bin/api","ports":"6000"}""");
            Assert.Equal(409, status);
            Assert.StartsWith("hosts: app 'hello' already takes the requests no host name claims", error);

            (status, error) = await controller.PostAsync("api/apps", """{"name":"web","command":"/bin/api","ports":"6000","hosts":["w.example"]}""");
            Assert.Equal(409, status);
            Assert.StartsWith("name: 'web' is the farm of servers that run their own app", error);

            (status, error) = await controller.PostAsync("api/apps", """{"name":"api","command":"/bin/api","ports":"6000","servers":["web9"],"hosts":["api.example"]}""");
            Assert.Equal((404, "servers: no server named 'web9' has joined (servers: none)"), (status, error));

            var apps = await controller.ListAsync("api/apps");
            Assert.Equal(["hello"], apps.Select(a => a.GetProperty("name").GetString()));
            Assert.Equal(["hello", "web"], controller.Host.Rotation.Runtime.Farms.Keys.Order());

            Assert.Equal((404, "no app named 'nope' (apps: hello)"), await controller.SendAsync(HttpMethod.Delete, "api/apps/nope"));

            (status, error) = await controller.PostAsync("api/apps/nope/restart", null);
            Assert.Equal((404, "no app named 'nope' (apps: hello)"), (status, error));

            foreach (var path in new[] { "api/ps?server=web9", "api/trace?server=web9" })
            {
                Assert.Equal((404, "server: no server named 'web9' has joined (servers: none)"), await controller.SendAsync(HttpMethod.Get, path));
            }
        }

        // Kept in the store: a restarted controller has the app and its farm again.
        await using (var controller = await TestController.StartAsync(data))
        {
            Assert.Equal(["hello"], (await controller.ListAsync("api/apps")).Select(a => a.GetProperty("name").GetString()));
            Assert.Equal(["hello", "web"], controller.Host.Rotation.Runtime.Farms.Keys.Order());

            Assert.Equal(204, (await controller.SendAsync(HttpMethod.Delete, "api/apps/hello")).Status);
            Assert.Empty(await controller.ListAsync("api/apps"));
            Assert.Equal(["web"], controller.Host.Rotation.Runtime.Farms.Keys);
        }
    }

    [Fact]
    public async Task The_apps_environment_values_are_hidden_unless_asked_for_and_the_servers_still_get_them()
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        string[] api = ["--controller", controller.Host.Url.ToString()];
        var cli = TimeSpan.FromSeconds(60);
        var add = await WebFarmCli.RunAsync(cli, ["apps", "add", "hello", "--command", "/bin/app", "--ports", "5000-5009", "--env", "DB_PASSWORD=hunter2", "--env", "ASPNETCORE_ENVIRONMENT=Production", .. api]);
        Assert.True(add.ExitCode == 0, add.Stderr + add.Stdout);

        // `apps list -o json` (the API's document) names the variables and hides every value.
        var hidden = await WebFarmCli.RunAsync(cli, ["apps", "list", "-o", "json", .. api]);
        Assert.True(hidden.ExitCode == 0, hidden.Stderr + hidden.Stdout);
        Assert.DoesNotContain("hunter2", hidden.Stdout, StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, string> { ["DB_PASSWORD"] = "***", ["ASPNETCORE_ENVIRONMENT"] = "***" }, EnvironmentOf(hidden.Stdout));
        foreach (var path in (string[])["api/apps", "api/apps/hello"])
        {
            var answer = await controller.Http.GetStringAsync(path);
            Assert.DoesNotContain("hunter2", answer, StringComparison.Ordinal);
            Assert.Contains("\"DB_PASSWORD\":\"***\"", answer, StringComparison.Ordinal);
        }

        // Asked for on purpose: the values as given.
        var shown = await WebFarmCli.RunAsync(cli, ["apps", "list", "-o", "json", "--show-secrets", .. api]);
        Assert.True(shown.ExitCode == 0, shown.Stderr + shown.Stdout);
        Assert.Equal(new Dictionary<string, string> { ["DB_PASSWORD"] = "hunter2", ["ASPNETCORE_ENVIRONMENT"] = "Production" }, EnvironmentOf(shown.Stdout));
        Assert.Contains("hunter2", await controller.Http.GetStringAsync("api/apps/hello?showSecrets=true"), StringComparison.Ordinal);
        Assert.Equal((400, "showSecrets: must be true or false, got \"yes\""), await controller.SendAsync(HttpMethod.Get, "api/apps?showSecrets=yes"));

        // What a server is told to run has the real values.
        var (_, desired) = controller.Host.Role!.Apps.DesiredFor("web1", new Dictionary<string, string>(), string.Empty);
        Assert.Equal("hunter2", desired.Single(a => a.Name == "hello").Environment["DB_PASSWORD"]);
    }

    private static Dictionary<string, string> EnvironmentOf(string appsJson)
    {
        using var apps = JsonDocument.Parse(appsJson);
        return apps.RootElement.EnumerateArray().Single().GetProperty("environment").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }
}
