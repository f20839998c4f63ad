namespace WebFarm.Balancer.Configuration;

/// <summary>How the data plane's sockets wait for I/O (docs/configuration.md, "SocketEngine").</summary>
public enum SocketEngine
{
    /// <summary>Epoll where it works (64-bit Linux), otherwise Sockets.</summary>
    Auto,

    /// <summary>WebFarm's own epoll transport for client connections and the direct upstream path.</summary>
    Epoll,

    /// <summary>.NET's socket engine (Kestrel's socket transport).</summary>
    Sockets,
}
