namespace WebFarm.Controller.Tests.MultiMachine;

/// <summary>
/// The set-up every multi-machine test class shares: <c>machines</c> network namespaces (when this process may make
/// them; <see cref="NetnsFactAttribute"/> skips the tests otherwise), a temporary directory, and the processes the
/// test started, stopped before the network and the directory go, even when the test failed.
/// </summary>
public abstract class MachinesTest(int machines) : IAsyncLifetime
{
    private MachineNetwork? _network;

    protected TempDirectory Dir { get; } = new();

    /// <summary>Processes to stop at the end, in the order they were added.</summary>
    protected List<IAsyncDisposable> Processes { get; } = [];

    public Task InitializeAsync()
    {
        if (MachineNetwork.IsPermitted(out _))
        {
            _network = MachineNetwork.Create(machines);
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
