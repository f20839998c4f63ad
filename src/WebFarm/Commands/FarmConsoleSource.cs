using System.Globalization;
using WebFarm.Agent.LocalFarm;
using WebFarm.Agent.Supervision;
using WebFarm.Balancer.Farms;
using WebFarm.Controller.LocalFarm;

namespace WebFarm.Commands;

/// <summary>
/// What <see cref="FarmConsoleView"/> shows: the balancer whose farm and events it reads, the header's facts, and each
/// server's process as its agent reports it (read at every refresh).
/// </summary>
internal sealed record FarmConsoleSource(BalancerRuntime Runtime, string FarmName, string Summary, Func<IReadOnlyList<FarmServerRow>> Servers)
{
    /// <summary>Instance changes as lines ("web1 crashed: …"), when the host raises them; the balancer's events are read anyway.</summary>
    public Action<Action<InstanceStateChange>>? SubscribeInstanceChanges { get; init; }

    /// <summary>The servers are the agents, their process the app instance each reports.</summary>
    public static FarmConsoleSource For(ControlledLocalFarm farm)
        => new(
            farm.Balancer.Runtime,
            farm.Options.FarmName,
            $"open {farm.Url}\ncontroller {farm.ControllerUrl} · admin API {farm.AdminUrl} · state {farm.StateEndpoint} · app {farm.App.AppName} · health check {farm.HealthRule?.Description ?? "-"}",
            () => [.. farm.Agents.Select((agent, index) => Row(agent.Name, farm.AgentAddress(index), agent.Instances.FirstOrDefault(r => r.App == farm.Options.FarmName)))])
        {
            SubscribeInstanceChanges = handler => farm.InstanceChanged += handler,
        };

    private static FarmServerRow Row(string name, string agentAddress, WebFarm.Agent.Control.InstanceReport? report)
    {
        if (report is null)
        {
            return new FarmServerRow(name, 0, agentAddress, InstanceState.Starting, null, 0);
        }

        var state = Enum.TryParse<InstanceState>(report.State, ignoreCase: true, out var parsed) ? parsed : InstanceState.Crashed; // "failed": no process could start.
        var address = string.Create(CultureInfo.InvariantCulture, $"{agentAddress}:{report.Port}");
        return new FarmServerRow(name, report.Port, address, state, report.ProcessId, report.Restarts);
    }
}
