using System.CommandLine;
using WebFarm.Agent.LocalFarm;
using WebFarm.Agent.Supervision;
using WebFarm.Controller.Hosting;
using WebFarm.Controller.LocalFarm;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>
/// `webfarm up`: a whole farm on this machine through the control plane's code paths (<see cref="ControlledLocalFarm"/>:
/// the state server, a controller with its in-process balancer, and N local agents running the app, HelloFarm by
/// default) until Ctrl+C or SIGTERM, which drain and stop everything and exit 0. `--control-plane` is accepted and does
/// nothing (it chose this path before it became the only one): scripts that pass it keep working.
/// Exit codes: 2 for bad arguments or a port in use (nothing started), 1 when the app cannot be built or run
/// (an instance that exits at start-up: its last output is shown).
/// </summary>
internal static class UpCommand
{
    private const string SampleProject = "samples/HelloFarm/HelloFarm.csproj";

    public static Command Create()
    {
        var servers = new Option<int>("--servers") { Description = $"How many instances of the app to run (1-{LocalFarmOptions.MaxServers}).", DefaultValueFactory = _ => 3 };
        var app = new Option<string?>("--app") { Description = "The app to run: a .csproj (built in Release), a .dll or a folder. Default: the HelloFarm sample." };
        var port = new Option<int>("--port") { Description = "Port of the site (the balancer) on 127.0.0.1.", DefaultValueFactory = _ => 8080 };
        var adminPort = new Option<int>("--admin-port") { Description = "Port of the balancer's admin API on 127.0.0.1.", DefaultValueFactory = _ => 8089 };
        var statePort = new Option<int>("--state-port") { Description = "Port of the state server on 127.0.0.1.", DefaultValueFactory = _ => 42424 };
        var healthPath = new Option<string?>("--health-path")
        {
            Description = "The app's health path (GET, 2xx/3xx pass). Default: /healthz when the app answers it, else GET / answering below 500.",
        };
        var controlPlane = new Option<bool>("--control-plane")
        {
            Description = "Accepted for scripts written before the control plane became what `up` runs; does nothing.",
            Hidden = true,
        };
        var controllerPort = new Option<int>("--controller-port") { Description = "Port of the controller's API and dashboard on 127.0.0.1.", DefaultValueFactory = _ => 8070 };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where the controller and the agents keep their data. Default: a temporary directory removed at stop." };
        var command = new Command("up", "Run a whole web farm on this machine: balancer, state server and N supervised app instances.")
        {
            servers, app, port, adminPort, statePort, healthPath, controlPlane, controllerPort, dataDir,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var appPath = parseResult.GetValue(app) ?? FindSample();
            if (appPath is null)
            {
                Console.Error.WriteLine($"webfarm up: no --app given and the sample app ({SampleProject}) was not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}; pass --app PATH (a .csproj, a .dll or a folder).");
                return Task.FromResult(ExitCodes.BadArguments);
            }

            var options = new LocalFarmOptions
            {
                Servers = parseResult.GetValue(servers),
                AppPath = appPath,
                Port = parseResult.GetValue(port),
                AdminPort = parseResult.GetValue(adminPort),
                StatePort = parseResult.GetValue(statePort),
                HealthPath = parseResult.GetValue(healthPath),
                ControllerPort = parseResult.GetValue(controllerPort),
            };
            return RunAsync(options, parseResult.GetValue(dataDir), cancellationToken);
        });
        return command;
    }

    /// <summary>Starts the farm, says where it is, shows it until Ctrl+C or SIGTERM, then drains and stops it.</summary>
    /// <param name="stop">Cancelled on Ctrl+C or SIGTERM (by the command-line host, whose grace period Program.cs sets).</param>
    private static async Task<int> RunAsync(LocalFarmOptions options, string? dataDirectory, CancellationToken stop)
    {
        var live = FarmConsoleView.CanRenderLive;
        ControlledLocalFarm farm;
        try
        {
            farm = await ControlledLocalFarm.StartAsync(options, dataDirectory, line => Console.WriteLine(line), stop).ConfigureAwait(false);
        }
        catch (PortInUseException ex)
        {
            Console.Error.WriteLine($"webfarm up: {ex.Message}");
            return ExitCodes.BadArguments;
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"webfarm up: {ex.Message.Replace(" (Parameter 'options')", string.Empty, StringComparison.Ordinal)}");
            return ExitCodes.BadArguments;
        }
        catch (Exception ex) when (ex is AppResolutionException or ControllerStartException)
        {
            Console.Error.WriteLine($"webfarm up: {ex.Message}");
            return ExitCodes.Failed;
        }
        catch (AppStartException ex)
        {
            Console.Error.WriteLine($"webfarm up: {ex.Message}");
            Console.Error.WriteLine("webfarm up: nothing is left running.");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.WriteLine("stopped before the farm was up");
            return ExitCodes.Ok;
        }

        await using (farm.ConfigureAwait(false))
        {
            Console.WriteLine($"WebFarm is up: open {farm.Url}  (controller {farm.ControllerUrl}, admin API {farm.AdminUrl}, {options.Servers} x {farm.App.AppName}). Ctrl+C stops.");
            Console.WriteLine($"Controller: {farm.ControllerUrl}  (webfarm servers list --controller {farm.ControllerUrl}; ps, trace, apps, deploy likewise)");
            Console.WriteLine($"Dashboard: {WebFarm.Balancer.Dashboard.DashboardAddress.Of(farm.ControllerUrl)}");
            var view = new FarmConsoleView(FarmConsoleSource.For(farm), live);
            await view.RunAsync(stop, farm.StopAsync).ConfigureAwait(false);
            Console.WriteLine("stopped");
        }

        return ExitCodes.Ok;
    }

    /// <summary>The HelloFarm project of the repository this webfarm was built from (or the one we are in).</summary>
    private static string? FindSample()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "WebFarm.slnx")))
                {
                    var project = Path.Combine(dir.FullName, SampleProject);
                    if (File.Exists(project))
                    {
                        return project;
                    }
                }
            }
        }

        return null;
    }
}
