using System.Net;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Pipeline;

/// <summary>
/// The access log (<c>"AccessLog": true</c>): one line per request, category <c>WebFarm.AccessLog</c>, in the same
/// format whichever client adapter served it.
/// </summary>
internal sealed partial class AccessLog(ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("WebFarm.AccessLog");

    /// <summary>Whether requests served under <paramref name="snapshot"/> are logged.</summary>
    public bool IsOn(RuntimeSnapshot snapshot) => snapshot.Config.AccessLog && _logger.IsEnabled(LogLevel.Information);

    public void Write(IPAddress? client, string method, string? host, string target, string protocol, int status, string farm, string server, double elapsedMilliseconds, string requestId)
        => Log.Line(_logger, client, method, host, target, protocol, status, farm, server, elapsedMilliseconds, requestId);
}
