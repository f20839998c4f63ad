using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Api;

/// <summary>Malformed API bodies and missing tokens get a specific status and message, and change nothing.</summary>
public sealed class ApiInputTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("", "body: a JSON object is required")]
    [InlineData("{not json", "body: not valid JSON")]
    [InlineData("[]", "body: expected a JSON object")]
    [InlineData("""{"name":"web1","address":"http://10.0.0.1:5000"}""", "joinToken: is required")]
    [InlineData("""{"joinToken":5,"name":"web1","address":"http://10.0.0.1:5000"}""", "joinToken: expected a string, got 5")]
    [InlineData("""{"joinToken":"t","address":"http://10.0.0.1:5000"}""", "name: is required")]
    [InlineData("""{"joinToken":"t","name":"web 1!","address":"http://10.0.0.1:5000"}""", "name: 'web 1!' must be 1-64 characters")]
    [InlineData("""{"joinToken":"t","name":"web1","address":"ftp://10.0.0.1"}""", "address: \"ftp://10.0.0.1\" is not an http:// or https:// URL")]
    [InlineData("""{"joinToken":"t","name":"web1","address":"http://10.0.0.1:5000","labels":[]}""", "labels: unknown field")]
    public async Task A_bad_join_body_is_a_400_naming_the_field(string body, string expected)
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        var (status, error) = await controller.PostAsync("api/agents/join", body);
        Assert.Equal(400, status);
        Assert.Contains(expected, error);
        Assert.Empty(await controller.AgentsAsync());
    }

    [Fact]
    public async Task A_bad_heartbeat_is_a_400_and_one_without_a_known_credential_a_401()
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        var (status, error) = await controller.PostAsync("api/agents/heartbeat", "{}", bearer: "wfa_x");
        Assert.Equal((400, "load: is required, like {\"load\": {\"cpuPercent\": 12.5, ...}}"), (status, error));

        (status, error) = await controller.PostAsync("api/agents/heartbeat", """{"load":"busy"}""", bearer: "wfa_x");
        Assert.Equal(400, status);
        Assert.StartsWith("body: not a heartbeat", error);

        (status, error) = await controller.PostAsync("api/agents/heartbeat", """{"load":{"cpuPercent":1}}""", bearer: "wfa_unknown");
        Assert.Equal(401, status);
        Assert.Contains("unknown agent credential", error);

        (status, _) = await controller.PostAsync("api/agents/heartbeat", """{"load":{"cpuPercent":1}}""");
        Assert.Equal(401, status);
    }

    [Fact]
    public async Task With_a_token_operator_endpoints_need_it_and_agent_endpoints_use_their_own_credentials()
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"), token: "s3cret-operator-token");
        using var anonymous = new HttpClient { BaseAddress = controller.Host.Url };
        using (var response = await anonymous.GetAsync("api/agents"))
        {
            Assert.Equal(401, (int)response.StatusCode);
            Assert.Contains("a valid bearer token is required", await response.Content.ReadAsStringAsync());
        }

        using (var request = new HttpRequestMessage(HttpMethod.Post, "api/agents/tokens"))
        {
            request.Headers.Authorization = new("Bearer", "s3cret-operator-tokeX");
            using var response = await anonymous.SendAsync(request);
            Assert.Equal(401, (int)response.StatusCode);
        }

        // The agent joins without the operator token: its join token is its authorization.
        var joinToken = await controller.NewJoinTokenAsync();
        await using var agent = await controller.StartAgentAsync("web1", "http://127.0.0.1:1", _dir.Sub("agent"), joinToken);
        Assert.Single(await controller.AgentsAsync());
    }

    [Fact]
    public async Task A_short_token_is_refused_at_start()
    {
        var ex = await Assert.ThrowsAsync<WebFarm.Controller.Hosting.ControllerStartException>(() => TestController.StartAsync(_dir.Sub("controller"), token: "short"));
        Assert.Equal("--token must be at least 16 characters", ex.Message);
    }

    [Fact]
    public async Task A_non_loopback_listener_without_a_token_is_refused_at_start()
    {
        var ex = await Assert.ThrowsAsync<WebFarm.Controller.Hosting.ControllerStartException>(() => TestController.StartAsync(_dir.Sub("controller"), listen: "http://0.0.0.0:0"));
        Assert.Contains("--token is required because --listen http://0.0.0.0:0 is not loopback", ex.Message);
    }
}
