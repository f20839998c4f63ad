using System.Net;
using System.Net.Sockets;

namespace WebFarm.Agent.LocalFarm;

/// <summary>
/// Holds the farm's fixed ports (bound, listening, never accepting) from the first check until each
/// component binds them, so that nothing can take them while the app builds (which may take a minute),
/// and a second `webfarm up` is refused at once.
/// </summary>
public sealed class PortReservation : IDisposable
{
    private readonly Dictionary<int, TcpListener> _held = [];

    private PortReservation()
    {
    }

    /// <exception cref="PortInUseException">A port is taken (named with its option); nothing stays held.</exception>
    public static PortReservation Hold(IEnumerable<(int Port, string Option)> ports)
    {
        var reservation = new PortReservation();
        try
        {
            foreach (var (port, option) in ports)
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                try
                {
                    listener.Start();
                }
                catch (SocketException)
                {
                    listener.Dispose();
                    throw new PortInUseException(port, option);
                }

                reservation._held.Add(port, listener);
            }
        }
        catch
        {
            reservation.Dispose();
            throw;
        }

        return reservation;
    }

    /// <summary>Lets go of <paramref name="port"/> just before the component that owns it binds it.</summary>
    public void Release(int port)
    {
        if (_held.Remove(port, out var listener))
        {
            listener.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var listener in _held.Values)
        {
            listener.Dispose();
        }

        _held.Clear();
    }

    /// <summary>Whether binding failed because the address is taken (a socket error or Kestrel's exception, anywhere in the chain).</summary>
    public static bool IsAddressInUse(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } or Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                return true;
            }
        }

        return false;
    }
}
