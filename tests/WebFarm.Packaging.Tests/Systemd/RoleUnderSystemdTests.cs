using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace WebFarm.Packaging.Tests.Systemd;

/// <summary>
/// The roles as systemd runs them (Type=notify): READY=1 only once the role accepts connections, RELOADING=1 then
/// READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM, then a clean exit; and journald's log format under
/// JOURNAL_STREAM. The test owns the notify socket, as systemd would.
/// </summary>
public sealed partial class RoleUnderSystemdTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Stop = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Balancer_is_ready_once_it_accepts_reloads_on_sighup_and_says_stopping_on_sigterm()
    {
        using var dir = new TempDirectory("webfarm-notify-balancer-");
        var port = FreePort.Next();
        var config = Path.Combine(dir.Path, "farm.json");
        await File.WriteAllTextAsync(config, Config(port, "web1"));
        using var notify = new NotifySocket();
        using var balancer = new RoleProcess(new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Path }, "balancer", "--config", config);

        var ready = await notify.NextWithAsync("READY=1", Start);
        Assert.Contains($"MAINPID={balancer.Id}", ready);

        // Only now connect: had READY come before the listener, this would be refused.
        Assert.True(await FreePort.IsAcceptingAsync(port), $"READY=1 came but port {port} does not accept:\n{balancer.Output}");

        // systemctl reload: a changed file is applied now (the watcher's debounce is not waited for), then READY again.
        await File.WriteAllTextAsync(config, Config(port, "web2"));
        ProcessProbe.Signal(balancer.Id, "HUP");
        Assert.Contains("MONOTONIC_USEC=", await notify.NextWithAsync("RELOADING=1", Start));
        await notify.NextWithAsync("READY=1", Start);
        await Eventually.TrueAsync(() => balancer.Output.Contains("SIGHUP: configuration reloaded", StringComparison.Ordinal), Start, "the reload's message");

        ProcessProbe.Signal(balancer.Id, "TERM");
        await notify.NextWithAsync("STOPPING=1", Stop);
        Assert.Equal(0, await balancer.WaitForExitAsync(Stop));
        Assert.Single(notify.Received, m => m.Contains("STOPPING=1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task State_server_is_ready_once_it_answers_and_says_stopping_on_sigterm()
    {
        var port = FreePort.Next();
        using var notify = new NotifySocket();
        using var state = new RoleProcess(new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Path }, "state", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        await notify.NextWithAsync("READY=1", Start);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var n = await stream.ReadAsync(buffer).AsTask().WaitAsync(Start);
            Assert.Equal("+PONG\r\n", Encoding.ASCII.GetString(buffer, 0, n));
        }

        ProcessProbe.Signal(state.Id, "TERM");
        await notify.NextWithAsync("STOPPING=1", Stop);
        Assert.Equal(0, await state.WaitForExitAsync(Stop));
    }

    [Fact]
    public async Task Under_journald_each_log_line_starts_with_its_syslog_priority_and_has_no_colour()
    {
        using var dir = new TempDirectory("webfarm-journal-");
        var port = FreePort.Next();
        var config = Path.Combine(dir.Path, "farm.json");
        await File.WriteAllTextAsync(config, Config(port, "web1"));
        using var balancer = new RoleProcess(new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:12345" }, "balancer", "--config", config);

        await Eventually.TrueAsync(() => balancer.Lines.Any(l => l.Contains("listening on", StringComparison.Ordinal)), Start, "the balancer's start line");
        var line = balancer.Lines.First(l => l.Contains("listening on", StringComparison.Ordinal));
        Assert.Matches(JournalLine(), line);
        ProcessProbe.Signal(balancer.Id, "TERM");
        Assert.Equal(0, await balancer.WaitForExitAsync(Stop));
        Assert.DoesNotContain('\u001b', balancer.Output);
    }

    [Fact]
    public async Task A_role_stopped_while_it_starts_exits_0_and_says_stopping()
    {
        // A controller that accepts the agent's join request and never answers keeps the agent in its start.
        using var controller = new TcpListener(System.Net.IPAddress.Loopback, 0);
        controller.Start();
        var controllerPort = ((System.Net.IPEndPoint)controller.LocalEndpoint).Port;
        using var dir = new TempDirectory("webfarm-agent-start-");
        using var notify = new NotifySocket();
        using var agent = new RoleProcess(
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Path },
            "agent", "--controller", $"http://127.0.0.1:{controllerPort}", "--name", "web1", "--address", "http://127.0.0.1:9",
            "--data-dir", dir.Path, "--join-token", "never-checked");

        using var joining = await controller.AcceptTcpClientAsync().WaitAsync(Start);
        var request = new byte[1024];
        Assert.True(await joining.GetStream().ReadAsync(request).AsTask().WaitAsync(Start) > 0, "the agent sent no join request");

        ProcessProbe.Signal(agent.Id, "TERM");
        await notify.NextWithAsync("STOPPING=1", Stop);
        Assert.Equal(0, await agent.WaitForExitAsync(Stop));
        Assert.Contains("stopped before it finished starting", agent.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(notify.Received, m => m.Contains("READY=1", StringComparison.Ordinal));
    }

    private static string Config(int port, string server) => $$"""
        {
          "Listen": [ "http://127.0.0.1:{{port}}" ],
          "Admin": { "Listen": "" },
          "StateDirectory": "",
          "Farms": { "web": { "Servers": [ { "Name": "{{server}}", "Address": "http://127.0.0.1:9" } ] } }
        }
        """;

    // "<6>WebFarm.Balancer[1] Balancer listening on ...": priority, category, event id, message; no time stamp.
    [GeneratedRegex(@"^<6>WebFarm\.Balancer\[\d+\] Balancer listening on ")]
    private static partial Regex JournalLine();
}
