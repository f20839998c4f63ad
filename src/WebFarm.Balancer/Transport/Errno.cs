using System.Net.Sockets;

namespace WebFarm.Balancer.Transport;

/// <summary>Linux errno values as .NET's <see cref="SocketError"/>, so epoll sockets fail the way .NET sockets do.</summary>
internal static class Errno
{
    public static SocketError ToSocketError(int errno) => errno switch
    {
        Libc.ECONNRESET => SocketError.ConnectionReset,
        Libc.EPIPE => SocketError.Shutdown,
        Libc.ECONNREFUSED => SocketError.ConnectionRefused,
        Libc.ECONNABORTED => SocketError.ConnectionAborted,
        Libc.ETIMEDOUT => SocketError.TimedOut,
        Libc.EHOSTUNREACH => SocketError.HostUnreachable,
        Libc.ENETUNREACH => SocketError.NetworkUnreachable,
        Libc.ENOTCONN => SocketError.NotConnected,
        Libc.EAGAIN => SocketError.WouldBlock,
        Libc.EINTR => SocketError.Interrupted,
        _ => SocketError.SocketError,
    };
}
