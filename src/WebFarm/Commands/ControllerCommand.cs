using System.CommandLine;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Dashboard;
using WebFarm.Balancer.Hosting;
using WebFarm.Controller.Hosting;

namespace WebFarm.Commands;

/// <summary>`webfarm controller`: parses options and hosts a <see cref="ControllerHost"/> until Ctrl+C or SIGTERM.</summary>
internal static class ControllerCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "Controller API URL (agents and the CLI).", DefaultValueFactory = _ => ControllerOptions.DefaultListen };
        var dataDir = new Option<string>("--data-dir") { Description = "Directory for the embedded store (controller.db).", Required = true };
        var store = new Option<string?>("--store") { Description = "A shared PostgreSQL store for a leader/standby pair, like postgres://user@host:5432/webfarm (default: $WEBFARM_STORE, else the embedded SQLite store in --data-dir). The password may come from PGPASSWORD or ~/.pgpass." };
        var advertise = new Option<string?>("--advertise") { Description = "The API URL agents and the CLI reach this controller at, when it leads (default: the --listen URL; required when that is http://*:PORT or 0.0.0.0)." };
        var token = new Option<string?>("--token") { Description = "Bearer token for the API (default: $WEBFARM_TOKEN); required when --listen is not loopback." };
        var balancerListen = new Option<string>("--balancer-listen") { Description = "The in-process balancer's client-facing URL.", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var balancerAdmin = new Option<string?>("--balancer-admin") { Description = "The in-process balancer's admin API URL (for `webfarm servers`); off by default." };
        var farm = new Option<string>("--farm") { Description = "Name of the farm joined servers are added to.", DefaultValueFactory = _ => "web" };
        var healthPath = new Option<string>("--health-path") { Description = "Path a server's address must answer with 200-399 to be put in rotation.", DefaultValueFactory = _ => "/" };
        var keepReleases = new Option<int>("--keep-releases") { Description = "Releases kept per app (and versions per content set); older ones and the files only they used are removed.", DefaultValueFactory = _ => 5 };
        var maxReleaseSize = new Option<string?>("--max-release-size") { Description = "Largest release or content set accepted (like 1gb, 500mb; default 1gb)." };
        var maxFileSize = new Option<string?>("--max-file-size") { Description = "Largest file in a release accepted (default 256mb)." };
        var stateEndpoint = new Option<string?>("--state-endpoint") { Description = "host:port of the state service the apps' instances use (WEBFARM_STATE_ENDPOINT)." };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Minimum log level.", DefaultValueFactory = _ => LogLevel.Information };
        var command = new Command("controller", "Run the farm controller: agents join it, and it puts their servers in its balancer's rotation.")
        {
            listen, dataDir, store, advertise, token, balancerListen, balancerAdmin, farm, healthPath, keepReleases, maxReleaseSize, maxFileSize, stateEndpoint, logLevel,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            InlineSocketCompletions.EnableUnlessConfigured();
            if (!TreeLimitOptions.TryParse(parseResult.GetValue(maxReleaseSize), parseResult.GetValue(maxFileSize), out var limits, out var limitError))
            {
                Console.Error.WriteLine($"webfarm controller: {limitError}");
                return 2;
            }

            using var loggerFactory = RoleLifetime.ConsoleLogging(parseResult.GetValue(logLevel));
            var options = new ControllerOptions
            {
                Listen = parseResult.GetValue(listen)!,
                DataDirectory = parseResult.GetValue(dataDir)!,
                Store = parseResult.GetValue(store) ?? Environment.GetEnvironmentVariable("WEBFARM_STORE"),
                Advertise = parseResult.GetValue(advertise),
                Token = parseResult.GetValue(token) ?? Environment.GetEnvironmentVariable("WEBFARM_TOKEN"),
                BalancerListen = parseResult.GetValue(balancerListen)!,
                BalancerAdmin = parseResult.GetValue(balancerAdmin),
                FarmName = parseResult.GetValue(farm)!,
                HealthPath = parseResult.GetValue(healthPath)!,
                KeepReleases = parseResult.GetValue(keepReleases),
                Limits = limits,
                StateEndpoint = parseResult.GetValue(stateEndpoint),
            };
            ControllerHost host;
            try
            {
                host = await ControllerHost.StartAsync(options, loggerFactory, cancellationToken);
            }
            catch (ControllerStartException ex)
            {
                Console.Error.WriteLine($"webfarm controller: cannot start: {ex.Message}");
                return 1;
            }

            await using (host)
            {
                Console.WriteLine($"controller API on {host.Url}; balancer on {host.BalancerUrl} (farm {options.FarmName}); {host.Leadership.Detail}");
                Console.WriteLine($"Dashboard: {DashboardAddress.Of(host.Url)}");
                await RoleLifetime.WaitForStopAsync("webfarm controller: stopping...", cancellationToken);
            }

            return 0;
        });
        return command;
    }
}
