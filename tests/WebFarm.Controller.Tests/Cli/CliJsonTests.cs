using System.Diagnostics;
using System.Text.Json;
using WebFarm.Agent.Releases;
using WebFarm.Controller.Tests.Infrastructure;
using WebFarm.Controller.Tests.Releases;

namespace WebFarm.Controller.Tests.Cli;

/// <summary>
/// `--output json` of every list and status command against the controller (docs/cli.md): the real `webfarm` process
/// prints one JSON document, parsed here and checked against the API's own answer; `trace --follow` prints NDJSON.
/// One farm for all: a controller, one agent running an app, a release and a content set.
/// </summary>
public sealed class CliJsonTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Cli = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new();
    private ReleaseFarm _farm = null!;

    private TestController Controller => _farm.Controller;

    public async Task InitializeAsync()
    {
        _farm = await ReleaseFarm.StartAsync(_dir, agents: 1);
        var (status, error) = await Controller.PostAsync("api/apps", TestApp.Json("hello", "47600-47699"));
        Assert.True(status == 201, error);
        var site = _dir.Sub("site");
        ReleaseFarm.WriteFiles(site, count: 3, bytes: 64);
        await _farm.UploadAsync(TreeInstaller.ReleaseKind, "hello", site, "first");
        await _farm.UploadAsync(TreeInstaller.ContentKind, "static", site, "assets");
        await Eventually.True(
            async () => (await Controller.InstancesAsync("hello")).Any(r => r.GetProperty("healthy").GetBoolean())
                && (await Controller.ListAsync("api/trace")).Count > 0
                && (await Controller.ListAsync("api/content")).All(v => v.GetProperty("installedOn").GetArrayLength() == 1)
                && (await Controller.ListAsync("api/apps/hello/releases")).All(v => v.GetProperty("installedOn").GetArrayLength() == 1),
            Wait,
            "the app's instance healthy, a trace record, the release and content set installed");
    }

    public async Task DisposeAsync()
    {
        await _farm.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Each_list_command_prints_the_apis_document()
    {
        // Settings and installed state do not change while the test runs: the whole documents are equal.
        foreach (var (command, path) in new[]
        {
            (new[] { "apps", "list" }, "api/apps"),
            (["releases", "hello"], "api/apps/hello/releases"),
            (["content", "list"], "api/content"),
        })
        {
            using var cli = await JsonOfAsync(command);
            using var api = JsonDocument.Parse(await Controller.Http.GetStringAsync(path));
            Assert.True(JsonElement.DeepEquals(api.RootElement, cli.RootElement), $"webfarm {string.Join(' ', command)} -o json:\n{cli.RootElement}\nGET {path}:\n{api.RootElement}");
        }

        // Live values (heartbeats, load, CPU) move between two reads: the rows and their identities are compared.
        using (var agents = await JsonOfAsync("agents", "list"))
        {
            Assert.Equal(
                (await Controller.AgentsAsync()).Select(a => $"{a.GetProperty("name")} {a.GetProperty("address")} {a.GetProperty("state")}"),
                agents.RootElement.EnumerateArray().Select(a => $"{a.GetProperty("name")} {a.GetProperty("address")} {a.GetProperty("state")}"));
            Assert.Equal(JsonValueKind.Object, agents.RootElement[0].GetProperty("load").ValueKind);
        }

        using (var ps = await JsonOfAsync("ps"))
        {
            Assert.Equal(
                (await Controller.ListAsync("api/ps")).Select(r => $"{r.GetProperty("server")} {r.GetProperty("app")} {r.GetProperty("pid")} {r.GetProperty("port")}"),
                ps.RootElement.EnumerateArray().Select(r => $"{r.GetProperty("server")} {r.GetProperty("app")} {r.GetProperty("pid")} {r.GetProperty("port")}"));
            Assert.Equal("hello", Assert.Single(ps.RootElement.EnumerateArray()).GetProperty("app").GetString());
        }

        // The monitor records its subjects at its first samples after the agent joined: wait for them, so both reads
        // below see the same set (CI once ran the CLI before the first sample and got none).
        await Eventually.True(
            async () =>
            {
                using var report = JsonDocument.Parse(await Controller.Http.GetStringAsync("api/availability?since=1h"));
                return Subjects(report.RootElement).Contains("server web1") && Subjects(report.RootElement).Contains("app hello");
            },
            TimeSpan.FromSeconds(30),
            "the availability monitor recorded the farm, the app and the server");
        using (var availability = await JsonOfAsync("availability", "--since", "1h"))
        {
            using var api = JsonDocument.Parse(await Controller.Http.GetStringAsync("api/availability?since=1h"));
            Assert.Equal(Subjects(api.RootElement), Subjects(availability.RootElement));
            Assert.Contains("server web1", Subjects(availability.RootElement));
        }

        // The trace only grows: every record the CLI printed is in the API's list read afterwards, unchanged.
        using (var trace = await JsonOfAsync("trace"))
        {
            var api = (await Controller.ListAsync("api/trace")).ToDictionary(r => r.GetProperty("id").GetInt64());
            Assert.NotEmpty(trace.RootElement.EnumerateArray());
            foreach (var record in trace.RootElement.EnumerateArray())
            {
                Assert.True(JsonElement.DeepEquals(api[record.GetProperty("id").GetInt64()], record), record.ToString());
            }
        }
    }

    [Fact]
    public async Task Trace_follow_prints_one_json_record_per_line()
    {
        var expected = (await Controller.ListAsync("api/trace")).Select(r => r.GetProperty("id").GetInt64()).ToHashSet();
        var start = new ProcessStartInfo("dotnet", [RepositoryPaths.WebFarmDll, "trace", "--follow", "-o", "json", "--controller", Controller.Host.Url.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lines.Enqueue(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errors.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Eventually.TrueAsync(
                () => expected.IsSubsetOf(lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetInt64())),
                Cli,
                "every trace record as one JSON line");
            foreach (var line in lines)
            {
                using var record = JsonDocument.Parse(line);
                Assert.Equal(JsonValueKind.Object, record.RootElement.ValueKind);
                Assert.Equal("web1", record.RootElement.GetProperty("server").GetString());
            }

            Assert.False(process.HasExited, $"--follow keeps running, but it exited: {string.Join('\n', errors)}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }
    }

    private async Task<JsonDocument> JsonOfAsync(params string[] command)
    {
        var (exitCode, stdout, stderr) = await WebFarmCli.RunAsync(Cli, [.. command, "--output", "json", "--controller", Controller.Host.Url.ToString()]);
        Assert.True(exitCode == 0, $"webfarm {string.Join(' ', command)}: exit {exitCode}: {stderr}");
        Assert.DoesNotContain('\u001b', stdout);
        return JsonDocument.Parse(stdout);
    }

    private static List<string> Subjects(JsonElement report)
        => [.. report.GetProperty("subjects").EnumerateArray().Select(s => $"{s.GetProperty("kind")} {s.GetProperty("name")}")];
}
