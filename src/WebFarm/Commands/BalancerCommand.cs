using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Hosting;
using WebFarm.Output;
using WebFarm.Systemd;

namespace WebFarm.Commands;

/// <summary>`webfarm balancer --config farm.json`: the load balancer alone, with hot reload of the file.</summary>
internal static class BalancerCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config", "-c")
        {
            Description = "Balancer configuration file (JSON); watched and re-applied when it changes.",
            Required = true,
        };
        var check = new Option<bool>("--check")
        {
            Description = "Validate the configuration file, print the result and exit (0 = valid, 2 = invalid).",
        };
        var logLevel = new Option<LogLevel>("--log-level")
        {
            Description = "Minimum log level (Trace, Debug, Information, Warning, Error).",
            DefaultValueFactory = _ => LogLevel.Information,
        };
        var command = new Command("balancer", "Run the HTTP load balancer from a configuration file.")
        {
            config,
            check,
            logLevel,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(config)!;
            if (parseResult.GetValue(check))
            {
                try
                {
                    var loaded = BalancerConfigLoader.Load(path);
                    Console.WriteLine($"{Path.GetFullPath(path)}: valid ({loaded.Farms.Count} farm(s), {loaded.Routes.Count} route(s))");
                    return ExitCodes.Ok;
                }
                catch (ConfigException ex)
                {
                    PrintConfigErrors(ex);
                    return ExitCodes.BadArguments;
                }
            }

            // Before the first socket exists: the runtime reads this switch once (see InlineSocketCompletions).
            InlineSocketCompletions.EnableUnlessConfigured();
            using var loggerFactory = RoleLifetime.ConsoleLogging(parseResult.GetValue(logLevel));
            BalancerHost host;
            try
            {
                host = await BalancerHost.StartAsync(new BalancerHostOptions { ConfigPath = path, LoggerFactory = loggerFactory }, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return RoleLifetime.StoppedWhileStarting("balancer");
            }
            catch (ConfigException ex)
            {
                PrintConfigErrors(ex);
                return ExitCodes.BadArguments;
            }
            catch (IOException ex)
            {
                // Typically "address already in use".
                Console.Error.WriteLine($"webfarm balancer: cannot start: {ex.Message}");
                return ExitCodes.Failed;
            }

            await using (host)
            {
                if (host.DashboardUri is { } dashboard)
                {
                    Console.WriteLine($"Dashboard: {dashboard}");
                }

                // `systemctl reload` (ExecReload sends SIGHUP): re-read the file now, as a change to it would.
                using var reload = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
                {
                    context.Cancel = true;
                    SystemdNotifier.Current.Reloading();
                    Console.Error.WriteLine(host.Reload()
                        ? "webfarm balancer: SIGHUP: configuration reloaded"
                        : "webfarm balancer: SIGHUP: configuration rejected; the previous one keeps running");
                    SystemdNotifier.Current.Ready("listening");
                });
                await RoleLifetime.WaitForStopAsync("webfarm balancer: stopping (waiting for requests in flight)...", cancellationToken);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static void PrintConfigErrors(ConfigException ex)
    {
        Console.Error.WriteLine(ex.Errors.Count == 1 ? "webfarm balancer: invalid configuration:" : $"webfarm balancer: invalid configuration ({ex.Errors.Count} errors):");
        foreach (var error in ex.Errors)
        {
            Console.Error.WriteLine("  " + error);
        }
    }
}
