using System.Net;
using System.Net.Sockets;

namespace WebFarm.AspNetCore.Tests.Infrastructure;

/// <summary>
/// An ephemeral port for servers that cannot bind port 0 and report it back (redis-server, postgres):
/// bind 0, read the port, release it. Callers retry with a new port if the server then fails to bind.
/// </summary>
internal static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

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
