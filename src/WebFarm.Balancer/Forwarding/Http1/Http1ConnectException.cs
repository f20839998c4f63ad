namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>No TCP connection could be made to a server; nothing was sent.</summary>
internal sealed class Http1ConnectException(string reason, Exception? inner = null) : IOException(reason, inner)
{
    /// <summary>Short reason for messages: "ConnectionRefused", "connect timeout", ...</summary>
    public string Reason { get; } = reason;
}
