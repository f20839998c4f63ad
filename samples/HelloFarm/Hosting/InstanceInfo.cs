using System.Diagnostics;

namespace HelloFarm.Hosting;

/// <summary>
/// Who is answering: the farm's name for this server (WEBFARM_SERVER_NAME) and the operating-system
/// process behind it. The process id and start time change on every restart, which is what lets a
/// visitor see that a different instance (not just a different server) served the page.
/// </summary>
public sealed class InstanceInfo
{
    public InstanceInfo(string serverName, int processId, DateTimeOffset startedAt)
    {
        ServerName = serverName;
        ProcessId = processId;
        StartedAt = startedAt;
    }

    public string ServerName { get; }

    public int ProcessId { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>
    /// Which release of the app this is, shown on every page: the configuration's <c>HelloFarm:Release</c> (a release
    /// can carry it in its appsettings.json), else the release id its agent started (WEBFARM_RELEASE); null outside a
    /// deployment.
    /// </summary>
    public string? Release { get; init; }

    /// <summary>Reads the server name from the environment; falls back to the machine name outside a farm.</summary>
    public static InstanceInfo FromEnvironment(IConfiguration configuration)
    {
        var name = Environment.GetEnvironmentVariable("WEBFARM_SERVER_NAME");
        if (string.IsNullOrWhiteSpace(name))
        {
            name = Environment.MachineName;
        }

        using var self = Process.GetCurrentProcess();
        var release = configuration["HelloFarm:Release"];
        if (string.IsNullOrWhiteSpace(release))
        {
            release = Environment.GetEnvironmentVariable("WEBFARM_RELEASE");
        }

        return new InstanceInfo(name.Trim(), Environment.ProcessId, new DateTimeOffset(self.StartTime.ToUniversalTime(), TimeSpan.Zero))
        {
            Release = string.IsNullOrWhiteSpace(release) ? null : release.Trim(),
        };
    }
}
