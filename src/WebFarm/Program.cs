using System.CommandLine;
using System.CommandLine.Parsing;
using WebFarm.Commands;
using WebFarm.Output;

// The executable only parses commands and hosts roles; each role's logic lives in its library.
var root = new RootCommand("WebFarm: turn several machines into one web site.");
root.Subcommands.Add(AgentCommand.Create());
root.Subcommands.Add(AgentsCommand.Create());
root.Subcommands.Add(AvailabilityCommand.Create());
root.Subcommands.Add(AppsCommand.Create());
root.Subcommands.Add(BalancerCommand.Create());
root.Subcommands.Add(ContentCommand.Create());
root.Subcommands.Add(ControllerCommand.Create());
root.Subcommands.Add(DeployCommand.Create());
root.Subcommands.Add(RollbackCommand.Create());
root.Subcommands.Add(PromoteCommand.Create());
root.Subcommands.Add(UnstageCommand.Create());
root.Subcommands.Add(DeploymentsCommand.Create());
root.Subcommands.Add(ReleasesCommand.Create());
root.Subcommands.Add(PsCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ServersCommand.Create());
root.Subcommands.Add(CacheCommand.Create());
root.Subcommands.Add(StateCommand.Create());
root.Subcommands.Add(TraceCommand.Create());
root.Subcommands.Add(UpCommand.Create());
root.Subcommands.Add(VipCommand.Create());
var parseResult = root.Parse(args);
if (parseResult.Errors.Count > 0)
{
    // Bad arguments exit with 2 (API and runtime failures use 1), with the parser's specific message.
    foreach (var error in parseResult.Errors.Select(e => e.Message).Distinct())
    {
        Console.Error.WriteLine($"webfarm: {error}");
    }

    var names = new List<string>();
    for (SymbolResult? r = parseResult.CommandResult; r is CommandResult c; r = c.Parent)
    {
        names.Insert(0, c.Command.Name);
    }

    names[0] = "webfarm";
    Console.Error.WriteLine($"Run '{string.Join(' ', names)} --help' for usage.");
    return ExitCodes.BadArguments;
}

// Roles stop gracefully on Ctrl+C/SIGTERM (`up` drains every instance first), which can take longer than
// the parser's default 2 s grace period before it forces an exit. Our handler replaces the parser's (see StopSignals).
using var stopSignals = new StopSignals(grace: TimeSpan.FromSeconds(45));
return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stopSignals.Token);
