using System.CommandLine;
using WebFarm.Commands;

// The executable only parses commands and hosts roles; each role's logic lives in its library.
var root = new RootCommand("WebFarm: turn several machines into one web site.");
root.Subcommands.Add(BalancerCommand.Create());
root.Subcommands.Add(ServersCommand.Create());
root.Subcommands.Add(StateCommand.Create());
root.Subcommands.Add(UpCommand.Create());
return await root.Parse(args).InvokeAsync();
