using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WebFarm.EndToEnd.Tests.Dashboard;

/// <summary>
/// The controller dashboard's deployments page during real deployments, in headless chromium: a `webfarm controller`,
/// two `webfarm agent`s on loopback running HelloFarm releases (sessions in a real redis-server), the real
/// `webfarm deploy` on a pseudo-terminal (the live table) and not (plain lines). One farm for the whole story: v1, then v2 in place
/// under load (each server's phase changing on the page without a reload, no failed request), then a release that
/// crashes at start-up (the failed server, its phase and the app's last output lines on the page).
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed partial class DeploymentsPageTests(DashboardBrowser browser)
{
    private const string NoReloadMarker = "window.__webfarmTestMarker";
    private static readonly TimeSpan CliTimeout = TimeSpan.FromMinutes(4);

    /// <summary>The phases of one server in an in-place deployment, in order (docs/deployments.md).</summary>
    private static readonly string[] InPlacePhases = ["draining", "stopping", "starting", "gating", "done"];

    [Fact(Timeout = 420_000)]
    public async Task An_in_place_deployment_shows_each_servers_phase_live_fails_no_request_and_a_failed_one_shows_the_apps_last_output()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var farm = await ControllerFarm.StartAsync(servers: 2);
        var port = FreePort.Next();
        await farm.PostAsync("/api/apps", JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["name"] = "hello",
            ["ports"] = $"{port}-{port + 9}", // Both servers share 127.0.0.1: each takes a free port of the range.
            ["environment"] = new Dictionary<string, string> { ["WEBFARM_STATE_ENDPOINT"] = redis.EndPoint },
        }));
        // The first release through the CLI on a terminal (a real pty, through script(1)): the live table (redrawn with
        // cursor moves) with each server and its phase, and exit code 0 once every server runs it.
        var v1 = await DeployOnTerminalAsync(farm, Release(farm, "v1"));
        Assert.True(v1.Code == 0, v1.Output);
        Assert.Contains("\u001b[", v1.Output, StringComparison.Ordinal);
        var screen = TerminalEscape().Replace(v1.Output, string.Empty);
        Assert.Matches("Server\\W+Phase\\W+Elapsed\\W+Release\\W+Detail", screen); // the table's header, not the plain lines
        foreach (var server in (string[])["web1", "web2"])
        {
            Assert.Matches($"{server}\\W+done", screen);
        }

        Assert.Contains("succeeded: every server runs release 1", screen);

        var (page, errors) = await browser.NewPageAsync();
        await page.GotoAsync(farm.Dashboard + "deployments");
        await page.EvaluateAsync($"{NoReloadMarker} = 42");
        await Expect(Title(page, 1)).ToContainTextAsync("release 1, succeeded");

        // 2 servers, in place: while one is out of rotation the other takes every request, so none may fail.
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        using var client = new HttpClient { BaseAddress = farm.BalancerUrl, Timeout = TimeSpan.FromSeconds(10) };
        var load = new LoadLoop();
        var loading = load.RunAsync(client, stop.Token);
        await Eventually.True(() => load.Bodies.Count > 0, TimeSpan.FromSeconds(60), "HelloFarm v1 answers through the balancer");

        await using (var deploying = StartDeploy(farm, Release(farm, "v2"), "--strategy", "in-place"))
        {
            // Live: the page shows each server's turn as it happens (the health gate lasts 3 passes 500 ms apart, so
            // a server stays in "gating" for at least a second), one server at a time (batch 1).
            await Expect(Phase(page, 2, "web1")).ToHaveTextAsync("gating", new() { Timeout = 120_000 });
            await Expect(Phase(page, 2, "web2")).ToHaveTextAsync("waiting");
            await Expect(Title(page, 2)).ToContainTextAsync("release 1 → 2, running");
            await Expect(Phase(page, 2, "web2")).ToHaveTextAsync("gating", new() { Timeout = 120_000 });
            await Expect(Phase(page, 2, "web1")).ToHaveTextAsync("done");
            await Screenshots.SaveAsync(page, "controller-deployments-desktop");

            // Then its end, still without a reload.
            await Expect(Title(page, 2)).ToContainTextAsync("release 1 → 2, succeeded", new() { Timeout = 120_000 });
            await Expect(Phase(page, 2, "web2")).ToHaveTextAsync("done");

            // The CLI's plain lines: every phase of each server, in order, and exit code 0.
            var (code, output) = await deploying.WaitForExitAsync(CliTimeout);
            Assert.True(code == 0, output);
            Assert.Contains("succeeded: every server runs release 2", output);
            foreach (var server in (string[])["web1", "web2"])
            {
                var at = InPlacePhases.Select(phase => output.IndexOf($" {server}: {phase}", StringComparison.Ordinal)).ToArray();
                Assert.True(at.All(i => i >= 0) && at.SequenceEqual(at.Order()), $"{server}'s phases {string.Join(", ", InPlacePhases)} in order in:\n{output}");
            }
        }

        // Every request through the balancer answered (the old release drained before it stopped), and v2 serves.
        var sent = load.Sent;
        await Eventually.True(() => load.Sent > sent + 20, TimeSpan.FromSeconds(60), "the load goes on after the deployment");
        await stop.CancelAsync();
        await loading;
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Sent} requests failed during the in-place deployment: {string.Join("; ", load.Failures.Take(3))}");
        // Back online: both servers in rotation again, both answering with v2.
        await Eventually.True(
            async () =>
            {
                var seen = new HashSet<string>();
                for (var i = 0; i < 20; i++)
                {
                    var page = await client.GetStringAsync("/");
                    Assert.Contains("id=\"release\">v2<", page, StringComparison.Ordinal);
                    seen.Add(page.Contains("id=\"server\">web1<", StringComparison.Ordinal) ? "web1" : page.Contains("id=\"server\">web2<", StringComparison.Ordinal) ? "web2" : "other");
                }

                return seen.SetEquals(["web1", "web2"]);
            },
            TimeSpan.FromSeconds(60),
            "web1 and web2 both serve v2 through the balancer");
        Assert.Equal("online", await farm.ServerStateAsync("hello", "web1"));
        Assert.Equal("online", await farm.ServerStateAsync("hello", "web2"));

        // A release that crashes at start-up (its appsettings.json is not JSON): web1 fails its turn, web2 never starts
        // one, and the page shows the server, the phase and the app's own last lines.
        await using (var broken = StartDeploy(farm, HelloFarmRelease.Write(farm.Directory.Sub("broken"), "broken", "{ this is not json"), "--health-timeout", "10s"))
        {
            await Expect(Title(page, 3)).ToContainTextAsync("release 2 → 3, failed", new() { Timeout = 120_000 });
            var (code, output) = await broken.WaitForExitAsync(CliTimeout);
            Assert.True(code != 0, output);
            Assert.Contains("JsonReaderException", output);
        }

        await Expect(Phase(page, 3, "web1")).ToHaveTextAsync("failed");
        await Expect(Phase(page, 3, "web2")).ToHaveTextAsync("waiting");
        await Expect(Deployment(page, 3).Locator("p.summary")).ToContainTextAsync("web1 failed in phase ");
        await Expect(Deployment(page, 3).Locator("tr[data-output-of='web1'] pre.output")).ToContainTextAsync("JsonReaderException");
        await Expect(Deployment(page, 3).Locator("tr[data-output-of='web2']")).ToHaveCountAsync(0);

        // A long error and a stack trace still fit the 1280 px window (they wrap; the output scrolls in its own box).
        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page is {overflow}px wider than the window");
        await Screenshots.SaveAsync(page, "controller-deployment-failed-desktop");

        // And a phone's width.
        await page.SetViewportSizeAsync(390, 844);
        overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page is {overflow}px wider than a 390px phone");

        Assert.Equal(42, await page.EvaluateAsync<int>(NoReloadMarker));
        Assert.Empty(errors);
    }

    private static ILocator Deployment(IPage page, int id) => page.Locator($"section.deployment[data-id='{id}']");

    private static ILocator Title(IPage page, int id) => Deployment(page, id).Locator("h2");

    private static ILocator Row(IPage page, int id, string server) => Deployment(page, id).Locator($"tr[data-server='{server}']");

    private static ILocator Phase(IPage page, int id, string server) => Row(page, id, server).Locator("td.phase");

    private static string Release(ControllerFarm farm, string label) => HelloFarmRelease.Write(farm.Directory.Sub(label), label);

    /// <summary>An escape sequence a terminal interprets (colour, cursor moves, erasing): ESC [ params letter.</summary>
    [GeneratedRegex("\u001b\\[[0-9;?]*[A-Za-z]")]
    private static partial Regex TerminalEscape();

    private static WebFarmProcess StartDeploy(ControllerFarm farm, string path, params string[] arguments)
        => WebFarmProcess.Start(null, ["deploy", "hello", path, "--controller", farm.Url.ToString(), .. arguments]);

    /// <summary>`webfarm deploy` on a pseudo-terminal of 120 columns (script(1)), colour allowed; its raw output and exit code.</summary>
    private static async Task<(int Code, string Output)> DeployOnTerminalAsync(ControllerFarm farm, string path)
    {
        var command = $"stty cols 120; exec dotnet '{RepositoryPaths.WebFarmDll}' deploy hello '{path}' --controller '{farm.Url}'";
        var start = new ProcessStartInfo("script", ["-qec", command, "/dev/null"]);
        start.Environment.Remove("NO_COLOR");
        start.Environment.Remove("COLUMNS");
        start.Environment["TERM"] = "xterm-256color";
        var (code, output, error) = await ProcessRunner.RunToEndAsync(start, timeout: CliTimeout);
        return (code, output + error);
    }
}
