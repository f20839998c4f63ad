using System.Net;
using System.Text.Json;
using WebFarm.EndToEnd.Tests.Infrastructure;

namespace WebFarm.EndToEnd.Tests.Up;

/// <summary>
/// `webfarm up`: the farm is a controller, its in-process balancer and local agents, so the controller's commands
/// (`servers list`, `ps`, `deploy`) work against the URL `up` prints, and SIGTERM drains and stops everything.
/// </summary>
public sealed class ControlPlaneUpTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ServersListPsAndDeploy_AgainstThePrintedControllerUrl_ShowTheLocalServers_RollOutAChangedBuild_AndSigtermStopsEverything()
    {
        await using var up = await UpProcess.StartAsync(servers: 3);
        Assert.NotNull(up.ControllerUrl);
        var controller = up.ControllerUrl.ToString();
        string[] names = ["web1", "web2", "web3"];
        var pids = names.ToDictionary(n => n, n => Assert.Single(up.InstancePids[n]));

        // The balancer's farm, through the controller: the app's farm holds the three local servers, healthy.
        var list = await UpProcess.RunToExitAsync(["servers", "list", "--controller", controller, "-o", "json"], Timeout);
        Assert.True(list.ExitCode == 0, list.Stderr + list.Stdout);
        using (var farms = JsonDocument.Parse(list.Stdout))
        {
            var web = farms.RootElement.EnumerateArray().Single(f => f.GetProperty("name").GetString() == "web");
            var servers = web.GetProperty("servers").EnumerateArray().ToList();
            Assert.Equal(names, servers.Select(s => s.GetProperty("name").GetString()).Order());
            Assert.All(servers, s => Assert.True(s.GetProperty("healthy").GetBoolean()));
        }

        // The agents' processes: one running, healthy instance per server, the pids `up` printed.
        var ps = await UpProcess.RunToExitAsync(["ps", "--controller", controller, "-o", "json"], Timeout);
        Assert.True(ps.ExitCode == 0, ps.Stderr + ps.Stdout);
        using (var rows = JsonDocument.Parse(ps.Stdout))
        {
            var instances = rows.RootElement.EnumerateArray().ToList();
            Assert.Equal(names, instances.Select(r => r.GetProperty("server").GetString()).Order());
            foreach (var row in instances)
            {
                Assert.Equal("web", row.GetProperty("app").GetString());
                Assert.Equal("running", row.GetProperty("state").GetString());
                Assert.Equal(pids[row.GetProperty("server").GetString()!], row.GetProperty("pid").GetInt32());
            }
        }

        // The site is served by every server (bounded in count and time).
        using var client = new HttpClient { BaseAddress = up.Url, Timeout = TimeSpan.FromSeconds(10) };
        var seen = new HashSet<string>();
        using (var window = new CancellationTokenSource(Timeout))
        {
            for (var i = 0; i < 1000 && seen.Count < names.Length && !window.IsCancellationRequested; i++)
            {
                using var response = await client.GetAsync("/status/200", window.Token);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                seen.Add(response.Headers.GetValues("X-Served-By").Single());
            }
        }

        Assert.Equal(names, seen.Order());
        Assert.Equal("1", await ReleaseShownAsync(client));

        // A changed build (its appsettings.json names the release), deployed with `webfarm deploy` to the up farm's
        // app: rolled out server by server, after which every server serves the new page.
        using var changed = new TempDirectory();
        CopyFolder(Path.GetDirectoryName(RepositoryPaths.HelloFarmDll)!, changed.Path);
        File.WriteAllText(Path.Combine(changed.Path, "appsettings.json"), "{\"HelloFarm\": {\"Release\": \"v2\"}}");
        var deploy = await UpProcess.RunToExitAsync(["deploy", "web", changed.Path, "--controller", controller], TimeSpan.FromMinutes(3));
        Assert.True(deploy.ExitCode == 0, deploy.Stderr + deploy.Stdout);
        Assert.Contains("every server runs release 2", deploy.Stdout, StringComparison.Ordinal);
        for (var i = 0; i < 2 * names.Length; i++)
        {
            Assert.Equal("v2", await ReleaseShownAsync(client));
        }

        var all = pids.Values.ToList();
        using (var rows = JsonDocument.Parse((await UpProcess.RunToExitAsync(["ps", "--controller", controller, "-o", "json"], Timeout)).Stdout))
        {
            all.AddRange(rows.RootElement.EnumerateArray().Where(r => r.GetProperty("pid").ValueKind == JsonValueKind.Number).Select(r => r.GetProperty("pid").GetInt32()));
        }

        Assert.Equal(2 * names.Length, all.Distinct().Count());

        up.Signal("TERM");
        Assert.Equal(0, await up.WaitForExitAsync(Timeout));
        Assert.All(all, pid => Assert.False(ProcessProbe.IsAlive(pid), $"instance pid {pid} outlived webfarm up"));
        var dataDirectory = up.Output.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Match(l, @"\(data in (?<dir>[^)]+)\)")).First(m => m.Success).Groups["dir"].Value;
        Assert.False(Directory.Exists(dataDirectory), $"the temporary data directory {dataDirectory} was left behind");
    }

    [Theory]
    [InlineData(new[] { "--controller-port", "{port}" }, "--controller-port {port} must differ from --port {port}")]
    [InlineData(new[] { "--control-plane", "--controller-port", "70000" }, "--controller-port 70000: expected a port from 1 to 65535.")]
    public async Task BadControlPlaneOptions_AreRefusedWithExitCode2_BeforeAnythingStarts(string[] options, string message)
    {
        var ports = FreePort.Many(4);
        // The common arguments without their own --controller-port (the last two): the case gives it.
        string[] arguments = [.. UpProcess.UpArguments(1, null, ports)[..^2], .. options.Select(o => o.Replace("{port}", $"{ports[0]}", StringComparison.Ordinal))];
        var result = await UpProcess.RunToExitAsync(arguments, Timeout);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message.Replace("{port}", $"{ports[0]}", StringComparison.Ordinal), result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("state server listening", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>A --data-dir used by an earlier run: the controller and the agents come back with their data, and
    /// this run's build is a new release of the same app. The first run passes `--control-plane`, as scripts written
    /// when it was opt-in do: accepted, the same farm.</summary>
    [Fact]
    public async Task ADataDirectoryUsedBefore_StartsAgain_WithTheBuildAsTheNextRelease()
    {
        using var data = new TempDirectory();
        for (var run = 1; run <= 2; run++)
        {
            string[] options = run == 1 ? ["--control-plane", "--data-dir", data.Path] : ["--data-dir", data.Path];
            await using var up = await UpProcess.StartAsync(servers: 1, options: options);
            Assert.Contains($"app web: release {run} ", up.Output, StringComparison.Ordinal);
            using var client = new HttpClient { BaseAddress = up.Url, Timeout = TimeSpan.FromSeconds(10) };
            Assert.Equal($"{run}", await ReleaseShownAsync(client));
            up.Signal("TERM");
            Assert.Equal(0, await up.WaitForExitAsync(Timeout));
        }

        Assert.True(Directory.Exists(Path.Combine(data.Path, "agents", "web1")), "the agent's directory is kept in a --data-dir");
    }

    /// <summary>The release HelloFarm's page names (its configuration's, else the agent's release number).</summary>
    private static async Task<string> ReleaseShownAsync(HttpClient client)
    {
        var page = await client.GetStringAsync("/");
        var match = System.Text.RegularExpressions.Regex.Match(page, "<span id=\"release\">(?<release>[^<]*)</span>");
        Assert.True(match.Success, $"the page names no release:\n{page}");
        return match.Groups["release"].Value;
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
