using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Admin;
using WebFarm.Balancer.Configuration;
using WebFarm.Controller.Availability;
using WebFarm.Controller.Hosting;

namespace WebFarm.Controller.Api;

/// <summary>
/// GET /api/availability?since=7d&amp;app=NAME: percentage and nines per subject (farm, apps, servers) over the period,
/// with the downtime list. <c>since</c> is a duration ("7d", "12h", "30m"; default 7d); <c>app</c> narrows the report to
/// that app, its servers and the farm.
/// </summary>
internal static class AvailabilityEndpoint
{
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromDays(7);

    public static async Task HandleAsync(HttpContext context, ControllerHost host)
    {
        var period = DefaultPeriod;
        var sinceText = context.Request.Query["since"];
        if (sinceText.Count > 0)
        {
            if (!DurationParser.TryParse(sinceText[0], out period, out var error))
            {
                throw new AdminRequestException($"since: {error}");
            }

            if (period <= TimeSpan.Zero)
            {
                throw new AdminRequestException($"since: '{sinceText[0]}' must be a positive duration, like 7d or 12h");
            }
        }

        var now = DateTimeOffset.UtcNow;
        var from = period >= now - DateTimeOffset.UnixEpoch ? DateTimeOffset.UnixEpoch : now - period;
        var subjects = await host.Store.ListAvailabilitySubjectsAsync(context.RequestAborted);
        var downtime = await host.Store.ListDowntimeAsync(from, context.RequestAborted);
        var app = context.Request.Query["app"];
        if (app.Count > 0)
        {
            var name = app[0] ?? string.Empty;
            if (!subjects.Any(s => s.Kind == SubjectKind.App && s.Name == name))
            {
                var known = subjects.Where(s => s.Kind == SubjectKind.App).Select(s => s.Name).ToList();
                await AdminHttp.WriteError(context, StatusCodes.Status404NotFound, $"app: no app named '{name}' has been in service ({(known.Count == 0 ? "none has yet" : "apps: " + string.Join(", ", known))})");
                return;
            }

            var servers = host.Rotation.Runtime.Farms.TryGetValue(name, out var farm) ? farm.Servers.Select(s => s.Name).ToHashSet(StringComparer.Ordinal) : [];
            subjects = [.. subjects.Where(s => s.Kind == SubjectKind.Farm || (s.Kind == SubjectKind.App && s.Name == name) || (s.Kind == SubjectKind.Server && servers.Contains(s.Name)))];
        }

        var report = AvailabilityReport.Compute(subjects, downtime, from, now);
        var figures = new List<SubjectAvailabilityResult>(report.Subjects.Count);
        foreach (var subject in report.Subjects)
        {
            figures.Add(new SubjectAvailabilityResult(
                Text(subject.Kind),
                subject.Name,
                subject.From,
                subject.To,
                subject.AvailabilityPercent,
                subject.UnscheduledAvailabilityPercent,
                subject.Nines,
                subject.ScheduledDowntime.TotalSeconds,
                subject.UnscheduledDowntime.TotalSeconds,
                subject.Outages));
        }

        var periods = new List<DowntimeResult>(report.Downtime.Count);
        foreach (var record in report.Downtime)
        {
            periods.Add(new DowntimeResult(Text(record.Kind), record.Subject, record.Scheduled, record.Cause, record.Started, record.Ended, ((record.Ended ?? now) - record.Started).TotalSeconds));
        }

        await ControllerJson.Write(context, new AvailabilityResult(report.From, report.To, figures, periods));
    }

    private static string Text(SubjectKind kind) => kind.ToString().ToLowerInvariant();
}
