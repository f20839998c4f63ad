namespace WebFarm.Balancer.Health;

/// <summary>
/// Rise/fall counting for one server: a healthy server needs Fall consecutive failed checks to leave rotation,
/// an unhealthy one Rise consecutive passing checks to come back, so a single lost probe does not flap it.
/// It follows the server's actual health rather than keeping its own: when something else (passive health, an
/// operator) changes it, the counting restarts from that state, so a server taken out by live traffic needs Rise
/// passing checks before it rejoins. Used by one probe loop at a time, so it needs no locking.
/// </summary>
internal sealed class HealthCheckTracker
{
    private bool _lastSeenHealthy;
    private int _consecutivePasses;
    private int _consecutiveFailures;

    public HealthCheckTracker(bool initiallyHealthy) => _lastSeenHealthy = initiallyHealthy;

    public int ConsecutivePasses => _consecutivePasses;

    public int ConsecutiveFailures => _consecutiveFailures;

    /// <summary>Counts one check; returns the new health when it changes, null otherwise.</summary>
    public bool? Observe(bool passed, bool serverHealthy, int rise, int fall)
    {
        if (serverHealthy != _lastSeenHealthy)
        {
            _lastSeenHealthy = serverHealthy;
            _consecutivePasses = 0;
            _consecutiveFailures = 0;
        }

        if (passed)
        {
            _consecutivePasses++;
            _consecutiveFailures = 0;
            if (!serverHealthy && _consecutivePasses >= rise)
            {
                return Transition(healthy: true);
            }
        }
        else
        {
            _consecutiveFailures++;
            _consecutivePasses = 0;
            if (serverHealthy && _consecutiveFailures >= fall)
            {
                return Transition(healthy: false);
            }
        }

        return null;
    }

    private bool Transition(bool healthy)
    {
        _lastSeenHealthy = healthy;
        _consecutivePasses = 0;
        _consecutiveFailures = 0;
        return healthy;
    }
}
