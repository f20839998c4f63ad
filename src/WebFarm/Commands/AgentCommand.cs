using System.CommandLine;
using Microsoft.Extensions.Logging;
using WebFarm.Agent.Control;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>`webfarm agent`: joins a controller (first time with --join-token) and heartbeats until Ctrl+C or SIGTERM.</summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var controller = new Option<string>("--controller") { Description = "The controller's URL, like http://10.0.0.10:8070, or a leader/standby pair as URL,URL (the agent follows the leader).", Required = true };
        var name = new Option<string>("--name") { Description = "This server's name in the farm.", Required = true };
        var address = new Option<string>("--address") { Description = "The URL the balancer forwards to, like http://10.0.0.11:5000.", Required = true };
        var dataDir = new Option<string>("--data-dir") { Description = "Where the agent keeps its credential (agent.json).", Required = true };
        var joinToken = new Option<string?>("--join-token") { Description = "One-time token from `webfarm agents token`; only for the first join." };
        var maxReleaseSize = new Option<string?>("--max-release-size") { Description = "Largest release or content set this server installs (like 1gb, 500mb; default 1gb)." };
        var maxFileSize = new Option<string?>("--max-file-size") { Description = "Largest file in a release this server installs (default 256mb)." };
        var allowCommands = new Option<bool>("--allow-commands") { Description = "Run commands sent with `webfarm run` (off by default: refused)." };
        var labels = new Option<string[]>("--label") { Description = "A label of this server, KEY=VALUE like role=web (repeatable); apps added with --on role=web run only on servers that have it.", AllowMultipleArgumentsPerToken = false };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Minimum log level.", DefaultValueFactory = _ => LogLevel.Information };
        var command = new Command("agent", "Run the agent of a web server: joins the controller, heartbeats with the machine's load and runs the apps the controller assigns.")
        {
            controller, name, address, dataDir, joinToken, maxReleaseSize, maxFileSize, allowCommands, labels, logLevel,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            IReadOnlyList<Uri> controllers;
            try
            {
                controllers = ControllerUrls.Parse(parseResult.GetValue(controller)!);
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine($"webfarm agent: {ex.Message}");
                return ExitCodes.BadArguments;
            }

            Dictionary<string, string> serverLabels;
            try
            {
                serverLabels = ServerLabels.Parse(parseResult.GetValue(labels) ?? [], "--label");
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine($"webfarm agent: {ex.Message}");
                return ExitCodes.BadArguments;
            }

            if (!TreeLimitOptions.TryParse(parseResult.GetValue(maxReleaseSize), parseResult.GetValue(maxFileSize), out var limits, out var limitError))
            {
                Console.Error.WriteLine($"webfarm agent: {limitError}");
                return ExitCodes.BadArguments;
            }

            using var loggerFactory = RoleLifetime.ConsoleLogging(parseResult.GetValue(logLevel));
            var options = new ControlAgentOptions
            {
                Controllers = controllers,
                Name = parseResult.GetValue(name)!,
                Address = parseResult.GetValue(address)!,
                DataDirectory = parseResult.GetValue(dataDir)!,
                JoinToken = parseResult.GetValue(joinToken),
                Limits = limits,
                AllowCommands = parseResult.GetValue(allowCommands),
                Labels = serverLabels,
            };
            ControlAgent agent;
            try
            {
                agent = await ControlAgent.StartAsync(options, loggerFactory.CreateLogger("WebFarm.Agent"), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return RoleLifetime.StoppedWhileStarting("agent");
            }
            catch (Exception ex) when (ex is AgentRefusedException or DataDirectoryException or InvalidDataException or HttpRequestException or ArgumentException)
            {
                Console.Error.WriteLine($"webfarm agent: cannot join: {ex.Message}");
                return ex is ArgumentException ? ExitCodes.BadArguments : ExitCodes.Failed;
            }

            await using (agent)
            {
                Console.WriteLine($"agent {agent.Name} joined {agent.Controller}; heartbeating every {options.HeartbeatInterval.TotalSeconds:0.#} s");
                await RoleLifetime.WaitForStopAsync("webfarm agent: stopping...", cancellationToken);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
