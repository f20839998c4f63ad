using WebFarm.Balancer.Events;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// Availability from the balancer's own events (there is no controller record to read): each server's timeline is
/// replayed from its state and health events. A server is Up while Online and healthy, Scheduled while an operator
/// has it Draining or Offline (whatever its health), Unscheduled while Online and failed. A farm is Up while any
/// of its servers is Up, Unscheduled while none is Up and one is down unscheduled (or it has no server), else
/// Scheduled. Only the observed part of a period counts: from when this balancer started (or the oldest event the
/// ring still holds) to now.
/// </summary>
internal static class AvailabilityCalculator
{
    public static List<AvailabilityReport> Compute(BalancerRuntime runtime, IReadOnlyList<FarmEvent> events, DateTimeOffset from, DateTimeOffset to)
    {
        var reports = new List<AvailabilityReport>();
        foreach (var farm in runtime.Farms.Values)
        {
            var servers = new List<AvailabilityReport>();
            foreach (var server in farm.Servers)
            {
                servers.Add(new AvailabilityReport(farm.Name, server.Name, ServerTimeline(server, events, from, to)));
            }

            reports.Add(new AvailabilityReport(farm.Name, null, FarmTimeline(servers, from, to)));
            reports.AddRange(servers);
        }

        return reports;
    }

    /// <summary>One server's segments within [from, to], replayed from its events.</summary>
    public static List<AvailabilitySegment> ServerTimeline(ServerRuntime server, IReadOnlyList<FarmEvent> events, DateTimeOffset from, DateTimeOffset to)
    {
        // The state before the first event is what that event changed from; with no event, what it is now.
        bool? online = null, healthy = null;
        var present = true;
        foreach (var e in events)
        {
            if (!Concerns(e, server))
            {
                continue;
            }

            if (e.Kind == EventKind.ServerAdded)
            {
                present = false; // Not in the farm before it was added.
                break;
            }

            if (online is null && AdminState(e.Kind) is { } admin)
            {
                online = !admin; // Going online means it was out; draining or going offline means it was in.
            }

            if (healthy is null && Health(e.Kind) is { } health)
            {
                healthy = !health;
            }

            if (online is not null && healthy is not null)
            {
                break;
            }
        }

        var isOnline = online ?? server.State == ServerState.Online;
        var isHealthy = healthy ?? server.Healthy;
        var segments = new List<AvailabilitySegment>();
        var start = from;
        foreach (var e in events)
        {
            if (!Concerns(e, server))
            {
                continue;
            }

            var time = e.Time < from ? from : e.Time > to ? to : e.Time;
            if (present)
            {
                Append(segments, start, time, Status(isOnline, isHealthy));
            }

            start = time;
            switch (e.Kind)
            {
                case EventKind.ServerAdded:
                    present = true;
                    isOnline = true;
                    isHealthy = true;
                    break;
                case EventKind.ServerRemoved:
                    present = false;
                    break;
                default:
                    isOnline = AdminState(e.Kind) ?? isOnline;
                    isHealthy = Health(e.Kind) ?? isHealthy;
                    break;
            }
        }

        if (present)
        {
            Append(segments, start, to, Status(isOnline, isHealthy));
        }

        return segments;
    }

    /// <summary>The farm's segments: at each moment any server changes, the best of its servers' statuses.</summary>
    public static List<AvailabilitySegment> FarmTimeline(IReadOnlyList<AvailabilityReport> servers, DateTimeOffset from, DateTimeOffset to)
    {
        var cuts = new SortedSet<DateTimeOffset> { from, to };
        foreach (var server in servers)
        {
            foreach (var segment in server.Segments)
            {
                cuts.Add(segment.Start);
                cuts.Add(segment.End);
            }
        }

        var segments = new List<AvailabilitySegment>();
        DateTimeOffset? previous = null;
        foreach (var cut in cuts)
        {
            if (previous is { } start && cut > start)
            {
                Append(segments, start, cut, FarmStatus(servers, start));
            }

            previous = cut;
        }

        return segments;
    }

    private static AvailabilityStatus FarmStatus(IReadOnlyList<AvailabilityReport> servers, DateTimeOffset at)
    {
        var anyUnscheduled = false;
        var anyServer = false;
        foreach (var server in servers)
        {
            foreach (var segment in server.Segments)
            {
                if (segment.Start <= at && at < segment.End)
                {
                    anyServer = true;
                    if (segment.Status == AvailabilityStatus.Up)
                    {
                        return AvailabilityStatus.Up;
                    }

                    anyUnscheduled |= segment.Status == AvailabilityStatus.Unscheduled;
                }
            }
        }

        return anyUnscheduled || !anyServer ? AvailabilityStatus.Unscheduled : AvailabilityStatus.Scheduled;
    }

    private static void Append(List<AvailabilitySegment> segments, DateTimeOffset start, DateTimeOffset end, AvailabilityStatus status)
    {
        if (end <= start)
        {
            return;
        }

        if (segments.Count > 0 && segments[^1].Status == status && segments[^1].End == start)
        {
            segments[^1] = segments[^1] with { End = end };
            return;
        }

        segments.Add(new AvailabilitySegment(start, end, status));
    }

    private static AvailabilityStatus Status(bool online, bool healthy)
        => !online ? AvailabilityStatus.Scheduled : healthy ? AvailabilityStatus.Up : AvailabilityStatus.Unscheduled;

    private static bool Concerns(FarmEvent e, ServerRuntime server)
        => string.Equals(e.Farm, server.Farm, StringComparison.Ordinal) && string.Equals(e.Server, server.Name, StringComparison.Ordinal);

    /// <summary>True for "now online", false for "now out of rotation by decision", null for other kinds.</summary>
    private static bool? AdminState(EventKind kind) => kind switch
    {
        EventKind.Online => true,
        EventKind.Draining or EventKind.GoingOffline or EventKind.Offline => false,
        _ => null,
    };

    private static bool? Health(EventKind kind) => kind switch
    {
        EventKind.Rejoined => true,
        EventKind.Failed => false,
        _ => null,
    };
}
