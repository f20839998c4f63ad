using System.Text.Json;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Deployments;
using WebFarm.Controller.Store;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Deployments;

/// <summary>
/// The deployment API's refusals (a specific status and message; nothing starts) and what a controller that starts
/// finds: a deployment its predecessor left running that cannot be resumed (its release is no longer kept) is marked
/// failed, and each server keeps the release it served (resuming is ControllerRestartDeploymentTests').
/// </summary>
public sealed class DeploymentApiTests : IDisposable
{
    private const string Hello = """{"name":"hello","ports":"5000-5009"}""";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("[]", "body: expected a JSON object")]
    [InlineData("{}", "release: is required")]
    [InlineData("""{"release":"2"}""", "release: expected a release number (1 or more), got \"2\"")]
    [InlineData("""{"release":0}""", "release: expected a release number (1 or more), got 0")]
    [InlineData("""{"release":1,"batch":"0"}""", "batch: '0' is not a number of servers")]
    [InlineData("""{"release":1,"batch":"101%"}""", "batch: '101%' is not a number of servers")]
    [InlineData("""{"release":1,"batch":true}""", "batch: expected a string, got true")]
    [InlineData("""{"release":1,"strategy":"blue-green"}""", "strategy: 'blue-green' is not a strategy (rolling, in-place)")]
    [InlineData("""{"release":1,"healthTimeout":"soon"}""", "healthTimeout: 'soon'")]
    [InlineData("""{"release":1,"healthTimeout":"0s"}""", "healthTimeout: '0s' must be above zero")]
    [InlineData("""{"release":1,"autoRollback":"yes"}""", "autoRollback: expected true or false, got \"yes\"")]
    [InlineData("""{"release":1,"drainTimeout":"soon"}""", "drainTimeout: 'soon'")]
    [InlineData("""{"release":1,"drainTimeout":"2h"}""", "drainTimeout: '2h' is over the longest drain (1h)")]
    [InlineData("""{"release":1,"healthPasses":0}""", "healthPasses: '0' is not a number of passes (1 to 100)")]
    [InlineData("""{"release":1,"healthPasses":101}""", "healthPasses: '101' is not a number of passes (1 to 100)")]
    [InlineData("""{"release":1,"healthPasses":2.5}""", "healthPasses: '2.5' is not a number of passes (1 to 100)")]
    [InlineData("""{"release":1,"to":1}""", "to: unknown field (expected release, strategy, batch, healthTimeout, drainTimeout, healthPasses, autoRollback)")]
    public async Task A_bad_deployment_request_is_a_400_naming_the_field_and_nothing_starts(string body, string expected)
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        Assert.Equal(201, (await controller.PostAsync("api/apps", Hello)).Status);
        var (status, error) = await controller.PostAsync("api/apps/hello/deployments", body);
        Assert.Equal(400, status);
        Assert.StartsWith(expected, error);
        Assert.Empty(await controller.ListAsync("api/deployments"));
    }

    /// <summary>The CLI checks the rollout options with the controller's rules before it packages, uploads or starts anything.</summary>
    [Theory]
    [InlineData("deploy", "--drain-timeout", "soon", "webfarm deploy: --drain-timeout: 'soon' ")]
    [InlineData("deploy", "--drain-timeout", "2h", "webfarm deploy: --drain-timeout: '2h' is over the longest drain (1h)")]
    [InlineData("deploy", "--health-passes", "0", "webfarm deploy: --health-passes: '0' is not a number of passes (1 to 100)")]
    [InlineData("deploy", "--health-timeout", "0s", "webfarm deploy: --health-timeout: '0s' must be above zero")]
    [InlineData("rollback", "--health-passes", "three", "webfarm rollback: --health-passes: 'three' is not a number of passes (1 to 100)")]
    [InlineData("rollback", "--drain-timeout", "-1s", "webfarm rollback: --drain-timeout: '-1s' ")]
    [InlineData("promote", "--health-passes", "101", "webfarm promote: --health-passes: '101' is not a number of passes (1 to 100)")]
    [InlineData("promote", "--drain-timeout", "90m", "webfarm promote: --drain-timeout: '90m' is over the longest drain (1h)")]
    public async Task A_bad_rollout_option_exits_2_naming_it_before_anything_is_sent(string command, string option, string value, string expected)
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        Assert.Equal(201, (await controller.PostAsync("api/apps", Hello)).Status);
        string[] target = command switch
        {
            "deploy" => ["deploy", "hello", _dir.Sub("release")],
            "promote" => ["promote", "hello", "1"],
            _ => ["rollback", "hello"],
        };
        Directory.CreateDirectory(_dir.Sub("release"));
        File.WriteAllText(Path.Combine(_dir.Sub("release"), "index.html"), "v1");
        var run = await WebFarmCli.RunAsync(TimeSpan.FromMinutes(2), [.. target, "--controller", controller.Client.Url.ToString(), option, value]);
        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}: {run.Stderr}{run.Stdout}");
        Assert.StartsWith(expected, run.Stderr);
        Assert.Empty(await controller.ListAsync("api/apps/hello/releases")); // Nothing uploaded,
        Assert.Empty(await controller.ListAsync("api/deployments")); // nothing started.
    }

    [Fact]
    public async Task Deployments_that_cannot_start_are_refused_with_the_reason()
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        Assert.Equal(201, (await controller.PostAsync("api/apps", Hello)).Status);
        Assert.Equal(201, (await controller.PostAsync("api/apps", """{"name":"own","command":"/bin/own","ports":"6000","hosts":["own.example"]}""")).Status);

        Assert.Equal((404, "no app named 'nope' (apps: hello, own)"), await controller.PostAsync("api/apps/nope/deployments", """{"release":1}"""));
        Assert.Equal((409, "app 'own' runs its own command (/bin/own), not releases; add an app without --command to deploy releases to it"), await controller.PostAsync("api/apps/own/deployments", """{"release":1}"""));
        Assert.Equal((404, "release: app 'hello' has no release 7 (kept: none)"), await controller.PostAsync("api/apps/hello/deployments", """{"release":7}"""));
        Assert.Equal((409, "app 'hello' has no earlier release to return to (its current release is none); name one with --to"), await controller.PostAsync("api/apps/hello/rollback", "{}"));

        using (var bad = await controller.Http.GetAsync("api/deployments/abc"))
        {
            Assert.Equal(400, (int)bad.StatusCode);
        }

        using (var missing = await controller.Http.GetAsync("api/deployments/99"))
        {
            Assert.Equal(404, (int)missing.StatusCode);
            Assert.Contains("no deployment 99", await missing.Content.ReadAsStringAsync());
        }

        using (var unknownApp = await controller.Http.GetAsync("api/deployments?app=nope"))
        {
            Assert.Equal(404, (int)unknownApp.StatusCode);
        }

        Assert.Empty(await controller.ListAsync("api/deployments"));
    }

    [Fact]
    public async Task A_deployment_left_running_whose_release_is_no_longer_kept_is_marked_failed_and_each_server_keeps_the_release_it_served()
    {
        var data = _dir.Sub("controller");
        Directory.CreateDirectory(data);
        var now = DateTimeOffset.UtcNow;
        long id;
        await using (var store = await SqliteControllerStore.OpenAsync(Path.Combine(data, SqliteControllerStore.FileName), default))
        {
            Assert.True(await store.AddAppAsync(new AppDefinition("hello", string.Empty, [], 5000, 5009, "/healthz", new Dictionary<string, string>(), [], []), now, default));
            var servers = new List<DeploymentServer>
            {
                new("web1", DeploymentPhase.Done, now, 4, null, []),
                new("web2", DeploymentPhase.Gating, now, 3, null, []),
                new("web3", DeploymentPhase.Waiting, now, 3, null, []),
            };
            id = await store.AddDeploymentAsync(new DeploymentRecord(0, "hello", 4, 3, DeploymentKind.Rolling, DeploymentState.Running, now, null, null, servers), default);
        }

        await using var controller = await TestController.StartAsync(data);
        using var json = JsonDocument.Parse(await controller.Http.GetStringAsync($"api/deployments/{id}"));
        var record = json.RootElement;
        Assert.Equal("failed", record.GetProperty("state").GetString());
        Assert.StartsWith("the controller stopped (or leadership moved) during the deployment and it could not be resumed: release 4 is no longer kept", record.GetProperty("error").GetString());
        Assert.Equal(["done", "failed", "waiting"], record.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("phase").GetString()));
        Assert.Equal("interrupted in phase gating: the controller stopped or leadership moved", record.GetProperty("servers")[1].GetProperty("error").GetString());
        Assert.True(record.TryGetProperty("finishedAt", out var finished) && finished.ValueKind == JsonValueKind.String);

        var placement = controller.Host.Role!.Apps.Releases;
        Assert.Equal(new ServerReleases(4, null), placement.For("hello", "web1"));
        Assert.Equal(new ServerReleases(3, null), placement.For("hello", "web2"));
        Assert.Equal(3, placement.Current("hello")); // What a server that joins gets: the release before the failed deployment.
        Assert.Contains(await controller.EventsAsync(), e => e.GetProperty("kind").GetString() == "deploy-failed");
    }
}
