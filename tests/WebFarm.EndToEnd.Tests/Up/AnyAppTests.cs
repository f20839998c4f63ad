using System.Net;
using System.Text.Json;
using WebFarm.EndToEnd.Tests.Infrastructure;

namespace WebFarm.EndToEnd.Tests.Up;

/// <summary>
/// `webfarm up --app` with apps a new user brings (issue 20): no health endpoint, a failing one, one that dies at
/// start, and one whose health endpoint has another path. Real `webfarm up` processes, real generated apps.
/// </summary>
public sealed class AnyAppTests(GeneratedApps apps) : IClassFixture<GeneratedApps>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The app's definition carries the chosen check, so the agents, the deployment's gate and the controller's
    /// balancer judge as the start-up wait did.</summary>
    [Fact]
    public async Task AppWithoutHealthEndpoint_IsReadyOnceItAnswers_AllServersStayHealthy_AndRequestsSpread()
    {
        // The project, as in the issue: `up` builds it (already built by the fixture, so this is quick).
        await using var up = await UpProcess.StartAsync(servers: 2, app: apps.Project("NoHealth"));
        using var admin = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        // The start-up output says which check is used, and why; the wait ended because the check passed.
        Assert.Contains("health check: GET / answers below 500 (the app has no /healthz: it answered 404)", up.Output, StringComparison.Ordinal);
        Assert.Matches(@"web1 ready on \S+ \(pid \d+; GET / answered 200\)", up.Output);
        Assert.Matches(@"web2 ready on \S+ \(pid \d+; GET / answered 200\)", up.Output);
        Assert.DoesNotContain("starting anyway", up.Output, StringComparison.Ordinal);

        // What the app misses without the member library is said once, with the fix.
        var notices = up.Output.Split('\n').Where(l => l.Contains("does not use the WebFarm member library", StringComparison.Ordinal)).ToList();
        var notice = Assert.Single(notices);
        Assert.Contains("sessions", notice, StringComparison.Ordinal);
        Assert.Contains("Data Protection keys", notice, StringComparison.Ordinal);
        Assert.Contains("builder.AddWebFarm()", notice, StringComparison.Ordinal);

        // The balancer checks the same thing. Let it run at least two checks per server (its fall count), then both
        // must still be healthy, with a passing last check on "/", and no server ever failed.
        var firstChecks = new Dictionary<string, DateTimeOffset>();
        foreach (var name in new[] { "web1", "web2" })
        {
            var check = await LastCheckAsync(up, admin, name);
            firstChecks[name] = check.GetProperty("time").GetDateTimeOffset();
        }

        foreach (var name in firstChecks.Keys)
        {
            await Eventually.TrueAsync(
                async () => (await LastCheckAsync(up, admin, name)).GetProperty("time").GetDateTimeOffset() >= firstChecks[name] + TimeSpan.FromSeconds(2.5),
                Timeout,
                $"{name} to be checked again");
            var server = await up.GetServerAsync(admin, name);
            Assert.True(server.GetProperty("healthy").GetBoolean(), server.ToString());
            var last = server.GetProperty("lastCheck");
            Assert.True(last.GetProperty("healthy").GetBoolean(), last.ToString());
            Assert.Equal("/", new Uri(last.GetProperty("url").GetString()!).AbsolutePath);
            Assert.Equal(200, last.GetProperty("statusCode").GetInt32());
        }

        var events = await up.GetEventsAsync(admin);
        Assert.DoesNotContain(events, e => e.GetProperty("kind").GetString() == "failed");

        var list = await UpProcess.RunToExitAsync(["servers", "list", "--admin", up.AdminUrl.ToString()], Timeout);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("web1", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("web2", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("healthy", list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("unhealthy", list.Stdout, StringComparison.Ordinal);

        // Requests are spread over both servers.
        using var client = new HttpClient { BaseAddress = up.Url, Timeout = TimeSpan.FromSeconds(10) };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 200 && seen.Count < 2; i++)
        {
            using var response = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(["hello from web1", "hello from web2"], seen.Order(StringComparer.Ordinal));
    }

    /// <summary>The first deployment leaves both servers out of rotation after its 5 s failing grace (it ends
    /// `partial`) instead of failing start-up after its 60 s gate.</summary>
    [Fact]
    public async Task HealthEndpointAnswering500_IsReportedUnhealthy_WithStatusAndPath()
    {
        await using var up = await UpProcess.StartAsync(servers: 2, app: apps.Dll("FailingHealth"));
        using var admin = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        Assert.Contains("health check: GET /healthz answers 2xx/3xx (the app has a /healthz: it answered 500)", up.Output, StringComparison.Ordinal);
        foreach (var name in new[] { "web1", "web2" })
        {
            // Said at start-up, with the status, the path and the body…
            Assert.Matches($@"{name} unhealthy: GET /healthz answered 500 for \S+ \(status 500 not in 200-399\); body: database unreachable", up.Output);

            // …shown by the balancer (out of rotation from the start, its last check naming status and path)…
            var server = await up.GetServerAsync(admin, name);
            Assert.False(server.GetProperty("healthy").GetBoolean(), server.ToString());
            var last = await LastCheckAsync(up, admin, name);
            Assert.False(last.GetProperty("healthy").GetBoolean(), last.ToString());
            Assert.Equal(500, last.GetProperty("statusCode").GetInt32());
            Assert.Equal("/healthz", new Uri(last.GetProperty("url").GetString()!).AbsolutePath);
            Assert.Contains("status 500 not in 200-399", last.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        // …and in the events, with the reason.
        var events = await up.GetEventsAsync(admin);
        var failed = events.Where(e => e.GetProperty("kind").GetString() == "failed").Select(e => e.GetProperty("message").GetString()!).ToList();
        Assert.Equal(2, failed.Count);
        Assert.All(failed, message => Assert.Contains("GET /healthz answered 500", message, StringComparison.Ordinal));

        var list = await UpProcess.RunToExitAsync(["servers", "list", "--admin", up.AdminUrl.ToString()], Timeout);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("unhealthy", list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("starting anyway", up.Output, StringComparison.Ordinal);

        // The first deployment ended `partial`: the release runs on both servers, neither passed its gate.
        var deployments = await UpProcess.RunToExitAsync(["deployments", "web", "--controller", up.ControllerUrl!.ToString(), "-o", "json"], Timeout);
        Assert.True(deployments.ExitCode == 0, deployments.Stderr + deployments.Stdout);
        using var json = JsonDocument.Parse(deployments.Stdout);
        var first = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("partial", first.GetProperty("state").GetString());
        Assert.Contains("web1, web2 did not pass the health gate", first.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.All(first.GetProperty("servers").EnumerateArray(), s =>
        {
            Assert.Equal("not-ready", s.GetProperty("phase").GetString());
            Assert.Equal(1, s.GetProperty("release").GetInt64());
            Assert.StartsWith("GET /healthz answered 500 for 5s", s.GetProperty("error").GetString(), StringComparison.Ordinal);
        });

        // web1's dependency comes back: its instance (supervised all along, never restarted) joins the rotation, and
        // the site is served by web1 alone while web2 stays out.
        var web1 = await up.GetServerAsync(admin, "web1");
        var pid = Assert.Single(up.InstancePids["web1"]);
        using (var recover = await admin.PostAsync(new Uri(new Uri(web1.GetProperty("address").GetString()!), "/recover"), null))
        {
            Assert.Equal(HttpStatusCode.NoContent, recover.StatusCode);
        }

        await Eventually.TrueAsync(async () => (await up.GetServerAsync(admin, "web1")).GetProperty("healthy").GetBoolean(), Timeout, "web1 to join once its check passes");
        using var client = new HttpClient { BaseAddress = up.Url, Timeout = TimeSpan.FromSeconds(10) };
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("hello from web1", await client.GetStringAsync("/"));
        }

        Assert.False((await up.GetServerAsync(admin, "web2")).GetProperty("healthy").GetBoolean());
        Assert.Equal(pid, Assert.Single(up.InstancePids["web1"]));
    }

    [Fact]
    public async Task AppThatExitsAtStart_FailsAtOnce_WithItsOutput_AndExitCode1()
    {
        var ports = FreePort.Many(4);

        var result = await UpProcess.RunToExitAsync(UpProcess.UpArguments(2, apps.Dll("ExitsAtStart"), ports), UpProcess.StartTimeout);

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"webfarm up: web\d exited during start-up: aborted \(signal 6, exit code 134\)", result.Stderr);
        Assert.Contains("its last output:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  | ExitsAtStart: reading the configuration", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  | Unhandled exception. System.InvalidOperationException: ConnectionStrings:Db is not set", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("WebFarm is up", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CustomHealthPath_IsTheCheck_AtStartUpAndInTheBalancer()
    {
        await using var up = await UpProcess.StartAsync(servers: 2, app: apps.Dll("CustomHealth"), options: ["--health-path", "/ready"]);
        using var admin = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        Assert.Contains("health check: GET /ready answers 2xx/3xx (set by --health-path)", up.Output, StringComparison.Ordinal);
        Assert.Matches(@"web1 ready on \S+ \(pid \d+; GET /ready answered 200\)", up.Output);
        Assert.Matches(@"web2 ready on \S+ \(pid \d+; GET /ready answered 200\)", up.Output);
        foreach (var name in new[] { "web1", "web2" })
        {
            var last = await LastCheckAsync(up, admin, name);
            Assert.Equal("/ready", new Uri(last.GetProperty("url").GetString()!).AbsolutePath);
            Assert.True(last.GetProperty("healthy").GetBoolean(), last.ToString());
            Assert.True((await up.GetServerAsync(admin, name)).GetProperty("healthy").GetBoolean());
        }

        using var client = new HttpClient { BaseAddress = up.Url, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The server's last periodic check, once there is one.</summary>
    private static async Task<JsonElement> LastCheckAsync(UpProcess up, HttpClient admin, string name)
    {
        JsonElement check = default;
        await Eventually.TrueAsync(async () =>
        {
            check = (await up.GetServerAsync(admin, name)).GetProperty("lastCheck");
            return check.ValueKind == JsonValueKind.Object;
        }, Timeout, $"a health check of {name}");
        return check;
    }
}
