using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Releases;

/// <summary>The release endpoints' bad input and authorization: a specific status and message, and nothing stored.</summary>
public sealed class ReleaseApiInputTests : IDisposable
{
    private const string OperatorToken = "release-api-operator-token";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("api/apps/hello/releases", "", "body: a JSON object is required")]
    [InlineData("api/apps/hello/releases", "{}", "files: is required (a list of {path, size, mode, sha256})")]
    [InlineData("api/apps/hello/releases", """{"files":3}""", "body: not a manifest like")]
    [InlineData("api/apps/hello/releases", """{"files":[],"message":7}""", "message: must be a string")]
    [InlineData("api/apps/.hidden/releases", """{"files":[]}""", "'.hidden' must be 1-64 characters of letters, digits, '-', '_' or '.', not starting with '.'")]
    [InlineData("api/content/static", """{"files":[{"path":"a","size":1,"mode":420,"sha256":"XYZ"}]}""", "'a': sha256 'XYZ' is not 64 lowercase hex digits")]
    [InlineData("api/content/static", """{"files":[{"path":"a","size":1,"mode":420,"sha256":"ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB"}]}""", "is not 64 lowercase hex digits")]
    [InlineData("api/blobs/missing", """{"files":[{"path":"a/b","size":1,"mode":420,"sha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},{"path":"a","size":1,"mode":420,"sha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}]}""", "'a': is both a file and the directory of other entries")]
    [InlineData("api/blobs/missing", """{"files":[{"path":"a","size":-1,"mode":420,"sha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}]}""", "'a': size -1 is negative")]
    public async Task A_bad_release_or_manifest_body_is_a_400_with_the_reason_and_nothing_is_created(string path, string body, string expected)
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        var (status, error) = await controller.PostAsync(path, body);
        Assert.Equal(400, status);
        Assert.Contains(expected, error);
        Assert.Equal("[]", await controller.Http.GetStringAsync("api/content"));
        Assert.Equal("[]", await controller.Http.GetStringAsync("api/apps/hello/releases"));
    }

    [Fact]
    public async Task Operator_endpoints_need_the_token_and_agent_endpoints_a_known_credential()
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"), OperatorToken);
        using var anonymous = new HttpClient { BaseAddress = controller.Host.Url };
        var blob = new string('a', 64);
        using (var put = await anonymous.PutAsync($"api/blobs/{blob}", new ByteArrayContent([1])))
        {
            Assert.Equal(401, (int)put.StatusCode);
        }

        using (var list = await anonymous.GetAsync("api/apps/hello/releases"))
        {
            Assert.Equal(401, (int)list.StatusCode);
        }

        var expected = "unknown agent credential (Authorization: Bearer <credential from the join>); join again with a new join token";
        Assert.Equal((401, expected), await controller.PostAsync("api/agents/sync", """{"releases":[],"content":[],"failures":[]}""", bearer: OperatorToken));
        foreach (var agentPath in (string[])["api/agents/releases/hello/1", "api/agents/content/static/1", $"api/agents/blobs/{blob}"])
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, agentPath);
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "wfa_not-a-credential");
            using var response = await anonymous.SendAsync(request);
            Assert.Equal(401, (int)response.StatusCode);
        }

        Assert.False(controller.Host.Releases.Blobs.Contains(blob));
    }

    [Fact]
    public async Task A_joined_agent_asking_for_a_release_or_blob_that_does_not_exist_gets_a_404_saying_so()
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        await using var agent = await controller.StartAgentAsync("web1", "http://127.0.0.1:10", _dir.Sub("agent"), await controller.NewJoinTokenAsync());
        var credential = WebFarm.Agent.Control.AgentCredential.Load(_dir.Sub("agent"))!.Credential;
        using var client = new WebFarm.Agent.Control.ControllerClient([controller.Host.Url], TimeSpan.FromSeconds(30));
        var release = await Assert.ThrowsAsync<WebFarm.Agent.Control.AgentRefusedException>(() => client.GetManifestAsync(credential, "release", "hello", 9, default));
        Assert.Equal(404, release.StatusCode);
        Assert.EndsWith("no release hello #9 (the controller keeps the last 5)", release.Message);
        var blob = await Assert.ThrowsAsync<WebFarm.Agent.Control.AgentRefusedException>(() => client.OpenBlobAsync(credential, new string('c', 64), default));
        Assert.EndsWith($"no blob {new string('c', 64)}", blob.Message);
    }
}
