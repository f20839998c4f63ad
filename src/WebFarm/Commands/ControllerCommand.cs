using System.CommandLine;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Dashboard;
using WebFarm.Balancer.Hosting;
using WebFarm.Controller.Hosting;
using WebFarm.Controller.Rotation;
using WebFarm.Output;

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
        var balancerListen = new Option<string>("--balancer-listen") { Description = "The in-process balancer's client-facing URL (default http://127.0.0.1:8080; with --balancer, there is an in-process balancer only when this is given).", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var balancers = new Option<string[]>("--balancer") { Description = "Admin API URL of an external `webfarm balancer` the controller drives (repeatable); each gets the same servers, states and weights.", AllowMultipleArgumentsPerToken = false };
        var balancerTokens = new Option<string[]>("--balancer-token") { Description = "Bearer token of the --balancer admin APIs: once for all, or once per --balancer in the same order (default: $WEBFARM_BALANCER_TOKEN)." };
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
            listen, dataDir, store, advertise, token, balancerListen, balancers, balancerTokens, balancerAdmin, farm, healthPath, keepReleases, maxReleaseSize, maxFileSize, stateEndpoint, logLevel,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            InlineSocketCompletions.EnableUnlessConfigured();
            if (!TreeLimitOptions.TryParse(parseResult.GetValue(maxReleaseSize), parseResult.GetValue(maxFileSize), out var limits, out var limitError))
            {
                Console.Error.WriteLine($"webfarm controller: {limitError}");
                return ExitCodes.BadArguments;
            }

            if (!TryReadBalancers(parseResult.GetValue(balancers) ?? [], parseResult.GetValue(balancerTokens) ?? [], out var endpoints, out var balancerError))
            {
                Console.Error.WriteLine($"webfarm controller: {balancerError}");
                return ExitCodes.BadArguments;
            }

            // With external balancers, the in-process one runs only when asked for by name.
            var inProcess = endpoints.Count == 0 || parseResult.GetResult(balancerListen) is { Implicit: false };
            using var loggerFactory = RoleLifetime.ConsoleLogging(parseResult.GetValue(logLevel));
            var options = new ControllerOptions
            {
                Listen = parseResult.GetValue(listen)!,
                DataDirectory = parseResult.GetValue(dataDir)!,
                Store = parseResult.GetValue(store) ?? Environment.GetEnvironmentVariable("WEBFARM_STORE"),
                Advertise = parseResult.GetValue(advertise),
                Token = parseResult.GetValue(token) ?? Environment.GetEnvironmentVariable("WEBFARM_TOKEN"),
                BalancerListen = inProcess ? parseResult.GetValue(balancerListen)! : null,
                Balancers = endpoints,
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
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return RoleLifetime.StoppedWhileStarting("controller");
            }
            catch (ControllerStartException ex)
            {
                Console.Error.WriteLine($"webfarm controller: cannot start: {ex.Message}");
                return ExitCodes.Failed;
            }

            await using (host)
            {
                var external = endpoints.Count == 0 ? string.Empty : $"; drives balancer(s) {string.Join(", ", endpoints.Select(e => e.Display))}";
                var served = host.BalancerUrl is null ? "no in-process balancer" : $"balancer on {host.BalancerUrl}";
                Console.WriteLine($"controller API on {host.Url}; {served} (farm {options.FarmName}){external}; {host.Leadership.Detail}");
                Console.WriteLine($"Dashboard: {DashboardAddress.Of(host.Url)}");
                await RoleLifetime.WaitForStopAsync("webfarm controller: stopping...", cancellationToken);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Pairs each --balancer URL with its token: one --balancer-token for all, or one per balancer in order.</summary>
    private static bool TryReadBalancers(string[] urls, string[] tokens, out List<BalancerEndpoint> endpoints, out string? error)
    {
        endpoints = [];
        error = null;
        if (urls.Length == 0)
        {
            error = tokens.Length > 0 ? "--balancer-token is given without --balancer" : null;
            return error is null;
        }

        if (tokens.Length == 0 && Environment.GetEnvironmentVariable("WEBFARM_BALANCER_TOKEN") is { Length: > 0 } fromEnvironment)
        {
            tokens = [fromEnvironment];
        }

        if (tokens.Length > 1 && tokens.Length != urls.Length)
        {
            error = $"--balancer-token is given {tokens.Length} times for {urls.Length} --balancer URLs: give it once for all of them, or once per --balancer in the same order";
            return false;
        }

        for (var i = 0; i < urls.Length; i++)
        {
            var url = urls[i];
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                error = $"--balancer '{url}' is not an http(s) URL of a balancer's admin API, like http://10.0.0.5:8089";
                return false;
            }

            endpoints.Add(new BalancerEndpoint(uri, tokens.Length == 0 ? null : tokens[tokens.Length == 1 ? 0 : i]));
        }

        return true;
    }
}
