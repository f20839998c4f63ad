using System.Net;
using System.Net.Sockets;

namespace WebFarm.Agent.Apps;

/// <summary>Finds a port an app instance can listen on within its app's range.</summary>
public static class PortRange
{
    /// <summary>The first port from <paramref name="from"/> to <paramref name="to"/> that can be bound on
    /// <paramref name="bind"/> now and is not in <paramref name="taken"/>; null when there is none.</summary>
    public static int? FindFree(IPAddress bind, int from, int to, IReadOnlySet<int> taken)
    {
        ArgumentNullException.ThrowIfNull(bind);
        for (var port = from; port <= to; port++)
        {
            if (taken.Contains(port))
            {
                continue;
            }

            try
            {
                using var listener = new TcpListener(bind, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken by someone else: try the next one.
            }
        }

        return null;
    }
}
