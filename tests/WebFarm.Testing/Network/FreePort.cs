using System.Net;
using System.Net.Sockets;

namespace WebFarm.Testing;

/// <summary>
/// Ephemeral loopback ports for servers that cannot bind port 0 and report it back (redis-server, postgres, `webfarm`
/// children): bind 0, read the port, release it. Callers retry with a new port if the server then fails to bind.
/// </summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary><paramref name="count"/> distinct free ports (all held at once while chosen, so none repeats).</summary>
    public static int[] Many(int count)
    {
        var listeners = new TcpListener[count];
        try
        {
            var ports = new int[count];
            for (var i = 0; i < count; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
                ports[i] = ((IPEndPoint)listeners[i].LocalEndpoint).Port;
            }

            return ports;
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener?.Stop();
            }
        }
    }

    /// <summary>Whether something accepts TCP connections on the loopback port (a 2 s connect attempt).</summary>
    public static async Task<bool> IsAcceptingAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
