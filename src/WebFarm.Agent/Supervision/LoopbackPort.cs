using System.Net;
using System.Net.Sockets;

namespace WebFarm.Agent.Supervision;

/// <summary>Ports on 127.0.0.1: pick a free one for an instance, or check that a configured one is free.</summary>
public static class LoopbackPort
{
    /// <summary>
    /// A port the OS says is free right now. Someone else may take it before the app binds it; the app
    /// then fails to start and the supervisor's restart makes that visible rather than silent.
    /// </summary>
    public static int FindFree()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True when nothing listens on 127.0.0.1:<paramref name="port"/> (we could bind it).</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
