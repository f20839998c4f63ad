using System.Diagnostics;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Cli;

/// <summary>`webfarm servers ...` and `webfarm balancer --check` run as real processes against a real balancer.</summary>
public sealed class ServersCliTests
{
    [Fact]
    public async Task Servers_commands_drive_the_admin_api_with_clear_errors_and_exit_codes()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(a));
        var admin = balancer.AdminUri!.ToString();

        var list = await WebfarmProcess.RunAsync("servers", "list", "--admin", admin);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("web1", list.Output);
        Assert.Contains("online", list.Output);

        var drain = await WebfarmProcess.RunAsync("servers", "drain", "web1", "--admin", admin);
        Assert.Equal(0, drain.ExitCode);
        Assert.Equal(ServerState.Draining, balancer.Runtime.Farms["web"].Servers[0].State);

        var weight = await WebfarmProcess.RunAsync("servers", "weight", "web1", "4", "--admin", admin, "--farm", "web");
        Assert.Equal(0, weight.ExitCode);
        Assert.Equal(4, balancer.Runtime.Farms["web"].Servers[0].Weight);

        var badWeight = await WebfarmProcess.RunAsync("servers", "weight", "web1", "lots", "--admin", admin);
        Assert.Equal(2, badWeight.ExitCode);
        Assert.Contains("'lots' is not a weight", badWeight.Error);

        var missingArgument = await WebfarmProcess.RunAsync("servers", "weight", "--admin", admin);
        Assert.Equal(2, missingArgument.ExitCode);

        var unknown = await WebfarmProcess.RunAsync("servers", "online", "web9", "--admin", admin);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no server named 'web9' in farm 'web'", unknown.Error);

        var unreachable = await WebfarmProcess.RunAsync("servers", "list", "--admin", RawHttp.ClosedPortAddress());
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("cannot reach the admin API", unreachable.Error);
    }

    [Fact]
    public async Task Balancer_check_reports_every_config_error_with_exit_code_2()
    {
        var dir = TestBalancer.NewDirectory();
        try
        {
            var path = Path.Combine(dir, "farm.json");
            await File.WriteAllTextAsync(path, """{ "Farms": { "web": { "Servers": [ { "Name": "w", "Address": "nope", "Weight": -2 } ] } }, "Extra": true }""");

            var result = await WebfarmProcess.RunAsync("balancer", "--config", path, "--check");

            Assert.Equal(2, result.ExitCode);
            Assert.Contains($"{path}: $.Extra: unknown key 'Extra'", result.Error);
            Assert.Contains($"{path}: $.Farms.web.Servers[0].Address:", result.Error);
            Assert.Contains($"{path}: $.Farms.web.Servers[0].Weight:", result.Error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Balancer_serves_from_a_file_and_stops_cleanly_on_sigterm()
    {
        await using var backend = await TestBackend.StartNamedAsync("from-cli");
        var dir = TestBalancer.NewDirectory();
        try
        {
            var path = Path.Combine(dir, "farm.json");
            await File.WriteAllTextAsync(path, $$"""
                {
                  "Listen": [ "http://127.0.0.1:0" ],
                  "Admin": { "Listen": "http://127.0.0.1:0" },
                  "Farms": { "web": { "Servers": [ { "Name": "web1", "Address": "{{backend.Address}}" } ] } }
                }
                """);
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { RepositoryPaths.WebFarmDll, "balancer", "--config", path })
            {
                start.ArgumentList.Add(a);
            }

            using var process = Process.Start(start)!;
            try
            {
                // "Balancer listening on http://127.0.0.1:P/; admin API on http://127.0.0.1:Q/; 1 farm(s)"
                var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                process.OutputDataReceived += (_, e) =>
                {
                    if (e.Data?.Contains("Balancer listening on", StringComparison.Ordinal) == true)
                    {
                        ready.TrySetResult(e.Data);
                    }
                };
                process.BeginOutputReadLine();
                var stderr = process.StandardError.ReadToEndAsync();
                var line = await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
                var listen = System.Text.RegularExpressions.Regex.Match(line, "listening on (http://[^;]+?)/?;").Groups[1].Value;

                using var client = new HttpClient();
                Assert.Equal("from-cli", await client.GetStringAsync(listen + "/"));

                ProcessProbe.Signal(process.Id, "TERM");
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
                Assert.Equal(0, process.ExitCode);
                Assert.Contains("stopping", await stderr);
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
