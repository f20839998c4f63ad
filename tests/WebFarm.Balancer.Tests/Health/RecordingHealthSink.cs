using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Health;

namespace WebFarm.Balancer.Tests.Health;

/// <summary>
/// A real sink as the runtime would be: it sets <see cref="ServerRuntime.Healthy"/> and keeps every transition
/// (with a value captured at that moment, e.g. how many probes the backend had seen), so tests can assert on
/// exactly when and how often health changed.
/// </summary>
internal sealed class RecordingHealthSink(Func<ServerRuntime, int>? capture = null) : IHealthStateSink
{
    private readonly List<Transition> _transitions = [];

    public sealed record Transition(ServerRuntime Server, bool Healthy, string Reason, int Captured);

    public IReadOnlyList<Transition> Transitions
    {
        get
        {
            lock (_transitions)
            {
                return [.. _transitions];
            }
        }
    }

    public void SetHealth(ServerRuntime server, bool healthy, string reason)
    {
        lock (_transitions)
        {
            _transitions.Add(new Transition(server, healthy, reason, capture?.Invoke(server) ?? 0));
        }

        server.Healthy = healthy;
    }
}
