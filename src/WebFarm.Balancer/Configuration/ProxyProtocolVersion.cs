namespace WebFarm.Balancer.Configuration;

/// <summary>
/// The PROXY protocol header a TCP farm sends to its servers at the start of each connection, so they see the client's
/// address (haproxy.org/download/2.9/doc/proxy-protocol.txt). The servers must expect it: a server that does not
/// reads the header as data.
/// </summary>
public enum ProxyProtocolVersion
{
    /// <summary>No header: the servers see the balancer's address.</summary>
    None,

    /// <summary>The text header ("PROXY TCP4 192.0.2.1 198.51.100.1 51000 7000\r\n").</summary>
    V1,

    /// <summary>The binary header (nginx, HAProxy, Envoy and AWS's balancers read both).</summary>
    V2,
}
