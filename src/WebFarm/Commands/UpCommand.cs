using System.CommandLine;

namespace WebFarm.Commands;

// STUB: replaced by the helper that owns the 'up' role.
internal static class UpCommand
{
    public static Command Create()
    {
        var command = new Command("up", "Not implemented yet.");
        command.SetAction((_, _) => Task.FromResult(1));
        return command;
    }
}
