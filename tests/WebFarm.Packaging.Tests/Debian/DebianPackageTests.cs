using System.Text.RegularExpressions;
using WebFarm.Packaging.Tests.Infrastructure;
using Xunit.Abstractions;

namespace WebFarm.Packaging.Tests.Debian;

/// <summary>
/// The .deb build/package.sh makes: its control data and file list (dpkg-deb -I, -c), the program it installs run from
/// an extracted root (--version, balancer --check on the shipped example), and dpkg installing it into a scratch root
/// (the maintainer scripts honour DPKG_ROOT): the webfarm system user, the state directories, idempotent postinst.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed partial class DebianPackageTests(PackageBuild package, ITestOutputHelper output)
{
    private static readonly string[] Units = ["webfarm-balancer", "webfarm-controller", "webfarm-agent", "webfarm-state"];
    private static readonly string[] ConfigFiles = ["/etc/webfarm/balancer.json", "/etc/webfarm/controller.env", "/etc/webfarm/agent.env", "/etc/webfarm/state.env"];

    [Fact]
    public async Task Control_data_names_the_package_version_architecture_conffiles_and_maintainer_scripts()
    {
        output.WriteLine($"build/package.sh took {package.Elapsed.TotalSeconds:0} s");
        var info = await ProcessRunner.RunAsync("dpkg-deb", ["-I", package.DebPath]);
        Assert.Contains("Package: webfarm", info);
        Assert.Contains($"Version: {package.Version}", info);
        Assert.Contains($"Architecture: {package.Architecture}", info);
        Assert.Contains("aspnetcore-runtime-10.0", info);
        foreach (var script in new[] { "postinst", "prerm", "postrm", "conffiles" })
        {
            Assert.Matches(new Regex($@"\s{script}\s"), info);
        }

        var conffiles = await ProcessRunner.RunAsync("dpkg-deb", ["-I", package.DebPath, "conffiles"]);
        Assert.Equal(ConfigFiles, conffiles.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Files_are_the_program_under_usr_its_link_in_usr_bin_the_example_configs_the_units_and_the_state_directory()
    {
        var list = (await ProcessRunner.RunAsync("dpkg-deb", ["-c", package.DebPath])).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string Entry(string path) => Assert.Single(list, l => l.EndsWith(" ." + path, StringComparison.Ordinal) || l.Contains(" ." + path + " -> ", StringComparison.Ordinal));

        Assert.All(list, l => Assert.Contains(" root/root ", l));
        Assert.StartsWith("lrwxrwxrwx", Entry("/usr/bin/webfarm"));
        Assert.EndsWith("./usr/bin/webfarm -> ../lib/webfarm/webfarm", Entry("/usr/bin/webfarm"));
        Assert.StartsWith("-rwxr-xr-x", Entry("/usr/lib/webfarm/webfarm"));
        Assert.StartsWith("-rw-r--r--", Entry("/etc/webfarm/balancer.json"));
        foreach (var env in new[] { "controller", "agent", "state" })
        {
            // They may hold the API token: not world-readable (postinst gives the webfarm group read access).
            Assert.StartsWith("-rw-r-----", Entry($"/etc/webfarm/{env}.env"));
        }

        foreach (var unit in Units)
        {
            Assert.StartsWith("-rw-r--r--", Entry($"/lib/systemd/system/{unit}.service"));
        }

        Assert.StartsWith("d", Entry("/var/lib/webfarm/"));
        Assert.DoesNotContain(list, l => l.EndsWith(".pdb", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_installed_program_names_its_version_and_commit_and_accepts_the_shipped_example_config()
    {
        using var root = new TempDirectory("webfarm-deb-x-");
        await ProcessRunner.RunAsync("dpkg-deb", ["-x", package.DebPath, root.Path]);
        var webfarm = Path.Combine(root.Path, "usr", "bin", "webfarm");
        var version = await Dotnet.RunAsync(webfarm, "--version");
        Assert.True(version.ExitCode == 0, version.Error);
        Assert.Equal($"{package.Version}+{package.Commit}", version.Output.Trim());

        var config = Path.Combine(root.Path, "etc", "webfarm", "balancer.json");
        var check = await Dotnet.RunAsync(webfarm, "balancer", "--config", config, "--check");
        Assert.True(check.ExitCode == 0, check.Output + check.Error);
        Assert.Contains($"{config}: valid (1 farm(s)", check.Output);
    }

    [Fact]
    public async Task Dpkg_installs_into_a_scratch_root_with_a_webfarm_system_user_and_its_directories_and_postinst_is_idempotent()
    {
        if (Environment.UserName != "root")
        {
            // useradd/groupadd --prefix and chown need root; CI runs as root.
            output.WriteLine($"not root ({Environment.UserName}): dpkg --root install not run; contents and the program are checked by the other tests");
            return;
        }

        using var root = new TempDirectory("webfarm-deb-root-");
        foreach (var dir in new[] { "var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "etc" })
        {
            Directory.CreateDirectory(Path.Combine(root.Path, dir));
        }

        await File.WriteAllTextAsync(Path.Combine(root.Path, "var/lib/dpkg/status"), string.Empty);
        await File.WriteAllTextAsync(Path.Combine(root.Path, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        await File.WriteAllTextAsync(Path.Combine(root.Path, "etc/group"), "root:x:0:\n");

        await Dpkg(root.Path, "-i", package.DebPath);
        var user = WebFarmLine(root.Path, "etc/passwd");
        var group = WebFarmLine(root.Path, "etc/group");
        var fields = user.Split(':');
        Assert.Equal("/var/lib/webfarm", fields[5]);
        Assert.Equal("/usr/sbin/nologin", fields[6]);
        Assert.True(int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture) < 1000, $"a system user: {user}");
        Assert.Equal(group.Split(':')[2], fields[3]);
        await AssertOwnedAsync(root.Path, "var/lib/webfarm/balancer", $"{fields[2]}:{fields[3]} 750");
        await AssertOwnedAsync(root.Path, "etc/webfarm/controller.env", $"0:{fields[3]} 640");
        Assert.True(File.Exists(Path.Combine(root.Path, "lib/systemd/system/webfarm-balancer.service")));

        // Reinstalling (an upgrade runs postinst again) and running postinst once more by hand change nothing.
        await Dpkg(root.Path, "-i", package.DebPath);
        var postinst = new System.Diagnostics.ProcessStartInfo("sh", [Path.Combine(root.Path, "var/lib/dpkg/info/webfarm.postinst"), "configure", package.Version]);
        postinst.Environment["DPKG_ROOT"] = root.Path;
        var again = await ProcessRunner.RunToEndAsync(postinst);
        Assert.True(again.ExitCode == 0, again.Output + again.Error);
        Assert.Equal(user, WebFarmLine(root.Path, "etc/passwd"));
        Assert.Equal(group, WebFarmLine(root.Path, "etc/group"));
        await AssertOwnedAsync(root.Path, "var/lib/webfarm/balancer", $"{fields[2]}:{fields[3]} 750");
    }

    private static async Task Dpkg(string root, params string[] args)
    {
        // Chrootless: the maintainer scripts run here with DPKG_ROOT set (the scratch root has no shell of its own).
        await ProcessRunner.RunAsync("dpkg", [$"--root={root}", "--force-script-chrootless", "--force-depends", "--log=/dev/null", .. args]);
    }

    private static string WebFarmLine(string root, string file)
        => Assert.Single(File.ReadAllLines(Path.Combine(root, file)), l => l.StartsWith("webfarm:", StringComparison.Ordinal));

    private static async Task AssertOwnedAsync(string root, string path, string expected)
        => Assert.Equal(expected, (await ProcessRunner.RunAsync("stat", ["-c", "%u:%g %a", Path.Combine(root, path)])).Trim());
}
