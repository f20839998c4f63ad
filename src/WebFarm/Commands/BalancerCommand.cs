using System.CommandLine;

namespace WebFarm.Commands;

// STUB: replaced by the helper that owns the 'balancer' role.
internal static class BalancerCommand
{
    public static Command Create()
    {
        var command = new Command("balancer", "Not implemented yet.");
        command.SetAction((_, _) => Task.FromResult(1));
        return command;
    }
}
