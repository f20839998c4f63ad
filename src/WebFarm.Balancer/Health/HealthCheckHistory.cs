namespace WebFarm.Balancer.Health;

/// <summary>
/// The latest active health checks of one server (ARR's "Verify URL" history), newest last, for the dashboard's
/// server page. A small ring under a lock: it is written once per check interval (seconds), never on the request path.
/// </summary>
public sealed class HealthCheckHistory
{
    /// <summary>Checks kept: two minutes at the default 2 s interval, enough to see why a server left rotation.</summary>
    public const int Capacity = 60;

    private readonly Lock _lock = new();
    private readonly HealthProbeResult[] _ring = new HealthProbeResult[Capacity];
    private long _count;

    public void Add(HealthProbeResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (_lock)
        {
            _ring[(int)(_count % Capacity)] = result;
            _count++;
        }
    }

    /// <summary>The kept checks, oldest first.</summary>
    public IReadOnlyList<HealthProbeResult> ToList()
    {
        lock (_lock)
        {
            var kept = (int)Math.Min(_count, Capacity);
            var list = new List<HealthProbeResult>(kept);
            for (var i = _count - kept; i < _count; i++)
            {
                list.Add(_ring[(int)(i % Capacity)]);
            }

            return list;
        }
    }
}
