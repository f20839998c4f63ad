using System.CommandLine;

namespace WebFarm.Commands;

// STUB: replaced by the helper that owns the 'state' role.
internal static class StateCommand
{
    public static Command Create()
    {
        var command = new Command("state", "Not implemented yet.");
        command.SetAction((_, _) => Task.FromResult(1));
        return command;
    }
}
