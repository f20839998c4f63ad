using WebFarm.Balancer.Farms;

namespace WebFarm.Controller.Rotation;

/// <summary>The controller's own balancer runtime as an <see cref="IRotationBalancer"/>: the rules change it directly.</summary>
public sealed class InProcessBalancer(BalancerRuntime runtime) : IRotationBalancer
{
    public string Name => "in-process";

    public BalancerStatus Status => new(Name, InProcess: true, InStep: true, LastReconciled: null, ChangesApplied: 0, Error: null, MissingFarms: []);

    public Task WaitDrainedAsync(string farm, string server, CancellationToken cancellationToken)
        => runtime.Farms.TryGetValue(farm, out var f) && f.FindServer(server) is not null
            ? runtime.WaitDrainedAsync(farm, server, cancellationToken)
            : Task.CompletedTask;
}
