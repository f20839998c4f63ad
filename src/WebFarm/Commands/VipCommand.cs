using System.CommandLine;
using System.Net.NetworkInformation;
using WebFarm.Balancer.Vip;
using WebFarm.Output;
using WebFarm.Systemd;

namespace WebFarm.Commands;

/// <summary>
/// `webfarm vip --vip 10.0.0.100/24 --interface eth0 --router-id 51 ...`: one node of a balancer pair on a virtual
/// address. Writes keepalived's configuration for this node and runs keepalived as a supervised child (or prints
/// the configuration). docs/vip.md.
/// </summary>
internal static class VipCommand
{
    public static Command Create()
    {
        var vip = new Option<string[]>("--vip")
        {
            Description = "Virtual address with its subnet's prefix length, like 10.0.0.100/24 (repeat for several).",
        };
        var networkInterface = new Option<string>("--interface", "-i") { Description = "Interface that carries the virtual address and the VRRP adverts, like eth0." };
        var priority = new Option<int>("--priority")
        {
            Description = "1-254: the higher node takes the address when both start (give the nodes different priorities).",
            DefaultValueFactory = _ => 100,
        };
        var routerId = new Option<int>("--router-id") { Description = "VRRP virtual router id, 1-255: the same on both nodes, unique on the segment." };
        var peer = new Option<string[]>("--peer") { Description = "The other node's address: adverts go to it by unicast (repeatable). Without it, multicast." };
        var authPass = new Option<string?>("--auth-pass") { Description = "VRRP password (at most 8 characters), the same on both nodes. Default: none." };
        var track = new Option<string>("--track")
        {
            Description = "The local balancer's admin listener; its /healthz is checked every second.",
            DefaultValueFactory = _ => "http://127.0.0.1:8089",
        };
        var name = new Option<string>("--name") { Description = "VRRP instance name.", DefaultValueFactory = _ => "webfarm" };
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Directory for keepalived's configuration and pid files.",
            DefaultValueFactory = _ => Path.Combine(".webfarm", "vip"),
        };
        var keepalived = new Option<string>("--keepalived") { Description = "The keepalived program.", DefaultValueFactory = _ => "keepalived" };
        var curl = new Option<string?>("--curl") { Description = "curl's absolute path, for the track script. Default: curl from PATH." };
        var printConfig = new Option<bool>("--print-config") { Description = "Print keepalived's configuration for this node and exit (to run keepalived yourself)." };

        var command = new Command("vip", "Hold a virtual IP address for this balancer with keepalived (VRRP), with a peer balancer as backup.")
        {
            vip, networkInterface, priority, routerId, peer, authPass, track, name, dataDir, keepalived, curl, printConfig,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = new VipOptions
            {
                Addresses = parseResult.GetValue(vip) ?? [],
                Interface = parseResult.GetValue(networkInterface) ?? string.Empty,
                Priority = parseResult.GetValue(priority),
                RouterId = parseResult.GetValue(routerId),
                Peers = parseResult.GetValue(peer) ?? [],
                AuthPass = parseResult.GetValue(authPass),
                Track = parseResult.GetValue(track)!,
                Name = parseResult.GetValue(name)!,
            };
            string config;
            VipSettings settings;
            try
            {
                settings = VipSettings.From(options);
                config = KeepalivedConfig.Render(settings, parseResult.GetValue(curl) ?? FindCurl());
            }
            catch (VipOptionsException ex)
            {
                PrintErrors(ex.Errors);
                return ExitCodes.BadArguments;
            }

            if (parseResult.GetValue(printConfig))
            {
                Console.Write(config);
                return ExitCodes.Ok;
            }

            if (MissingInterface(settings.Interface) is { } missing)
            {
                PrintErrors([missing]);
                return ExitCodes.BadArguments;
            }

            // Read (and take out of the environment) NOTIFY_SOCKET before keepalived starts: it would notify systemd itself.
            _ = SystemdNotifier.Current;
            var directory = Path.GetFullPath(parseResult.GetValue(dataDir)!);
            var configPath = KeepalivedProcess.WriteConfig(directory, config);
            Console.Error.WriteLine($"webfarm vip: {string.Join(", ", settings.Addresses)} on {settings.Interface}, priority {settings.Priority}, tracking {settings.HealthUrl} ({configPath})");
            int? exit;
            try
            {
                exit = await KeepalivedProcess.RunAsync(
                    parseResult.GetValue(keepalived)!,
                    configPath,
                    directory,
                    pid =>
                    {
                        Console.Error.WriteLine($"webfarm vip: keepalived running (pid {pid})");
                        SystemdNotifier.Current.Ready("keepalived running");
                    },
                    cancellationToken);
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                Console.Error.WriteLine($"webfarm vip: cannot run '{parseResult.GetValue(keepalived)}': {ex.Message} (install it: apt-get install keepalived)");
                return ExitCodes.Failed;
            }

            if (exit is { } code)
            {
                Console.Error.WriteLine($"webfarm vip: keepalived exited by itself with code {code} (its log above says why)");
                return ExitCodes.Failed;
            }

            SystemdNotifier.Current.Stopping("keepalived stopped");
            Console.Error.WriteLine("webfarm vip: keepalived stopped; the virtual address is released");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>curl from PATH (an absolute path, for keepalived's script security), else Debian's place for it.</summary>
    private static string FindCurl()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "curl");
            if (Path.IsPathRooted(candidate) && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return KeepalivedConfig.DefaultCurl;
    }

    /// <summary>The interface must exist in this machine's (or network namespace's) view before keepalived gets it.</summary>
    private static string? MissingInterface(string name)
    {
        var names = new List<string>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.Name == name)
            {
                return null;
            }

            names.Add(nic.Name);
        }

        names.Sort(StringComparer.Ordinal);
        return $"--interface '{name}': no such interface here (interfaces: {string.Join(", ", names)})";
    }

    private static void PrintErrors(IReadOnlyList<string> errors)
    {
        Console.Error.WriteLine(errors.Count == 1 ? "webfarm vip: invalid options:" : $"webfarm vip: invalid options ({errors.Count} errors):");
        foreach (var error in errors)
        {
            Console.Error.WriteLine("  " + error);
        }
    }
}
