namespace WebFarm.Controller.Tests.MultiMachine;

/// <summary>
/// The set-up every multi-machine test class shares: <c>machines</c> network namespaces (when this process may make
/// them; <see cref="NetnsFactAttribute"/> skips the tests otherwise), a temporary directory, and the processes the
/// test started, stopped before the network and the directory go, even when the test failed. <paramref name="bridged"/>:
/// the machines share one segment (<see cref="MachineNetwork"/>).
/// </summary>
public abstract class MachinesTest(int machines, bool bridged = false) : IAsyncLifetime
{
    private MachineNetwork? _network;

    protected TempDirectory Dir { get; } = new();

    /// <summary>Processes to stop at the end, in the order they were added.</summary>
    protected List<IAsyncDisposable> Processes { get; } = [];

    /// <summary>
    /// Starts a real `webfarm agent` in each machine's namespace, joined to <paramref name="controller"/> as web1..webN
    /// with the machine's address (port 1: it serves nothing itself, its app instances do), plus <paramref name="extra"/>.
    /// </summary>
    private protected Task StartAgentsAsync(Infrastructure.TestController controller, params string[] extra) => StartAgentsAsync(controller.Client, extra);

    /// <inheritdoc cref="StartAgentsAsync(Infrastructure.TestController, string[])"/>
    private protected Task StartAgentsAsync(Infrastructure.ControllerClient controller, params string[] extra) => StartAgentsAsync(controller, machines, extra);

    /// <summary>Agents on the first <paramref name="count"/> machines (the others join later, <see cref="StartAgentAsync"/>).</summary>
    private protected async Task StartAgentsAsync(Infrastructure.ControllerClient controller, int count, params string[] extra)
    {
        for (var n = 1; n <= count; n++)
        {
            await StartAgentAsync(controller, n, extra);
        }

        await Eventually.True(async () => (await controller.AgentsAsync()).Count == count, TimeSpan.FromSeconds(90), $"{count} agents joined");
    }

    /// <summary>The name machine <paramref name="n"/>'s agent joins as (web1..webN; its last character is always the machine's number).</summary>
    protected virtual string ServerName(int n) => $"web{n}";

    /// <summary>A real `webfarm agent` in machine <paramref name="n"/>'s namespace, joined as <see cref="ServerName"/>.</summary>
    private protected async Task<WebFarmProcess> StartAgentAsync(Infrastructure.ControllerClient controller, int n, params string[] extra)
    {
        var agent = WebFarmProcess.Start(
            MachineNetwork.Namespace(n),
            [
                "agent",
                "--controller", controller.Url.ToString(),
                "--name", ServerName(n),
                "--address", $"http://{MachineNetwork.MachineAddress(n)}:1",
                "--data-dir", Dir.Sub("agent" + n),
                "--join-token", await controller.NewJoinTokenAsync(),
                .. extra,
            ]);
        Processes.Add(agent);
        return agent;
    }

    public Task InitializeAsync()
    {
        if (MachineNetwork.IsPermitted(out _))
        {
            _network = MachineNetwork.Create(machines, bridged);
        }

        return Task.CompletedTask;
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var process in Processes)
        {
            await process.DisposeAsync();
        }

        _network?.Dispose();
        Dir.Dispose();
    }
}
