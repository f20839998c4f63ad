using System.CommandLine;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Hosting;
using WebFarm.Controller.Hosting;

namespace WebFarm.Commands;

/// <summary>`webfarm controller`: parses options and hosts a <see cref="ControllerHost"/> until Ctrl+C or SIGTERM.</summary>
internal static class ControllerCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "Controller API URL (agents and the CLI).", DefaultValueFactory = _ => ControllerOptions.DefaultListen };
        var dataDir = new Option<string>("--data-dir") { Description = "Directory for the store (controller.db).", Required = true };
        var token = new Option<string?>("--token") { Description = "Bearer token for the API (default: $WEBFARM_TOKEN); required when --listen is not loopback." };
        var balancerListen = new Option<string>("--balancer-listen") { Description = "The in-process balancer's client-facing URL.", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var balancerAdmin = new Option<string?>("--balancer-admin") { Description = "The in-process balancer's admin API URL (for `webfarm servers`); off by default." };
        var farm = new Option<string>("--farm") { Description = "Name of the farm joined servers are added to.", DefaultValueFactory = _ => "web" };
        var healthPath = new Option<string>("--health-path") { Description = "Path a server's address must answer with 200-399 to be put in rotation.", DefaultValueFactory = _ => "/" };
        var stateEndpoint = new Option<string?>("--state-endpoint") { Description = "host:port of the state service the apps' instances use (WEBFARM_STATE_ENDPOINT)." };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Minimum log level.", DefaultValueFactory = _ => LogLevel.Information };
        var command = new Command("controller", "Run the farm controller: agents join it, and it puts their servers in its balancer's rotation.")
        {
            listen, dataDir, token, balancerListen, balancerAdmin, farm, healthPath, stateEndpoint, logLevel,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            InlineSocketCompletions.EnableUnlessConfigured();
            using var loggerFactory = RoleLifetime.ConsoleLogging(parseResult.GetValue(logLevel));
            var options = new ControllerOptions
            {
                Listen = parseResult.GetValue(listen)!,
                DataDirectory = parseResult.GetValue(dataDir)!,
                Token = parseResult.GetValue(token) ?? Environment.GetEnvironmentVariable("WEBFARM_TOKEN"),
                BalancerListen = parseResult.GetValue(balancerListen)!,
                BalancerAdmin = parseResult.GetValue(balancerAdmin),
                FarmName = parseResult.GetValue(farm)!,
                HealthPath = parseResult.GetValue(healthPath)!,
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
                Console.WriteLine($"controller API on {host.Url}; balancer on {host.BalancerUrl} (farm {options.FarmName})");
                await RoleLifetime.WaitForStopAsync("webfarm controller: stopping...", cancellationToken);
            }

            return 0;
        });
        return command;
    }
}
