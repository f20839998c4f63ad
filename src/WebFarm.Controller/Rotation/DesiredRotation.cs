using WebFarm.Balancer.Farms;

namespace WebFarm.Controller.Rotation;

/// <summary>
/// What every balancer should have, read from the controller's own balancer runtime (where the rotation rules are
/// applied): per farm, each server with its address, operator state and weight. Immutable; read once per
/// reconciliation.
/// </summary>
public sealed class DesiredRotation
{
    private DesiredRotation(IReadOnlyDictionary<string, IReadOnlyList<DesiredServer>> farms) => Farms = farms;

    public IReadOnlyDictionary<string, IReadOnlyList<DesiredServer>> Farms { get; }

    public static DesiredRotation From(BalancerRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var farms = new Dictionary<string, IReadOnlyList<DesiredServer>>(StringComparer.Ordinal);
        foreach (var (name, farm) in runtime.Farms)
        {
            var servers = new List<DesiredServer>(farm.Servers.Count);
            foreach (var s in farm.Servers)
            {
                servers.Add(new DesiredServer(s.Name, s.Address.ToString(), s.State, s.Weight));
            }

            farms[name] = servers;
        }

        return new DesiredRotation(farms);
    }
}
