using System.Diagnostics;
using System.Net.NetworkInformation;
using WebFarm.Balancer.Vip;

namespace WebFarm.Balancer.Tests.Vip;

/// <summary>The keepalived configuration `webfarm vip` writes: deterministic, the chosen VRRP behaviour, and accepted by the real keepalived.</summary>
public sealed class KeepalivedConfigTests
{
    private static VipSettings Settings(string networkInterface = "eth0", string[]? peers = null, string? authPass = "s3cret") => VipSettings.From(new VipOptions
    {
        Addresses = ["10.0.0.100/24", "10.0.0.101/24"],
        Interface = networkInterface,
        Priority = 150,
        RouterId = 51,
        Peers = peers ?? ["10.0.0.12"],
        AuthPass = authPass,
        Track = "http://127.0.0.1:8089",
    });

    [Fact]
    public void The_same_settings_give_the_same_text_with_the_track_script_nopreempt_garp_and_unicast_peers()
    {
        var text = KeepalivedConfig.Render(Settings(), "/usr/bin/curl");
        Assert.Equal(text, KeepalivedConfig.Render(Settings(), "/usr/bin/curl"));
        Assert.Contains("script \"/usr/bin/curl -fsS --noproxy * --max-time 0.9 -o /dev/null http://127.0.0.1:8089/healthz\"", text, StringComparison.Ordinal);
        foreach (var line in (string[])["interval 1", "fall 2", "rise 2", "state BACKUP", "nopreempt", "interface eth0", "virtual_router_id 51", "priority 150", "garp_master_delay 1", "auth_pass s3cret", "10.0.0.100/24 dev eth0", "10.0.0.101/24 dev eth0", "webfarm_balancer"])
        {
            Assert.Contains("    " + line, text, StringComparison.Ordinal);
        }

        Assert.Contains("unicast_peer {\n        10.0.0.12\n    }", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_peers_or_a_password_there_is_no_unicast_or_authentication_block()
    {
        var text = KeepalivedConfig.Render(Settings(peers: [], authPass: null), "/usr/bin/curl");
        Assert.DoesNotContain("unicast_peer", text, StringComparison.Ordinal);
        Assert.DoesNotContain("authentication", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_curl_path_keepalived_cannot_take_is_refused()
    {
        var error = Assert.Throws<VipOptionsException>(() => KeepalivedConfig.Render(Settings(), "curl"));
        Assert.StartsWith("--curl 'curl': give curl's absolute path", Assert.Single(error.Errors), StringComparison.Ordinal);
    }

    /// <summary>keepalived's own configuration test (-t) on an interface of this machine (it refuses unknown ones).</summary>
    [Fact]
    public async Task Real_keepalived_accepts_the_configuration()
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().First(n => n.NetworkInterfaceType != NetworkInterfaceType.Loopback && n.Name.Length <= VipSettings.MaxInterfaceNameLength);
        using var directory = new TempDirectory();
        var path = KeepalivedProcess.WriteConfig(directory.Path, KeepalivedConfig.Render(Settings(nic.Name), "/usr/bin/curl"));
        var start = new ProcessStartInfo("keepalived") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in (string[])["-t", "-f", path])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"keepalived -t exited with {process.ExitCode}:\n{errors}\n{File.ReadAllText(path)}");
    }
}
