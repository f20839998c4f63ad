namespace WebFarm.Controller.Rotation;

/// <summary>
/// A balancer the rotation rules drive: the controller's in-process one, or an external `webfarm balancer` through
/// its admin API (<see cref="ExternalBalancer"/>). The rules run once, on the controller's runtime; each balancer
/// follows that runtime, so every balancer gets the same changes.
/// </summary>
public interface IRotationBalancer
{
    /// <summary>The balancer as operators name it ("in-process", or its admin URL).</summary>
    string Name { get; }

    BalancerStatus Status { get; }

    /// <summary>
    /// Completes when <paramref name="server"/> of <paramref name="farm"/> has no request in flight on this balancer
    /// (or the balancer does not have it). A balancer that cannot be reached holds no request of ours to wait for.
    /// </summary>
    Task WaitDrainedAsync(string farm, string server, CancellationToken cancellationToken);
}
