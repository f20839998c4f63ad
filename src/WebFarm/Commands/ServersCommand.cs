using System.CommandLine;

namespace WebFarm.Commands;

// STUB: replaced by the helper that owns the 'servers' role.
internal static class ServersCommand
{
    public static Command Create()
    {
        var command = new Command("servers", "Not implemented yet.");
        command.SetAction((_, _) => Task.FromResult(1));
        return command;
    }
}
