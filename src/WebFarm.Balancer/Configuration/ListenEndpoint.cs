namespace WebFarm.Balancer.Configuration;

/// <summary>
/// One client-facing listener: "http://127.0.0.1:8080", "http://*:80", "https://[::]:443". An https listener
/// terminates TLS with the certificates of its <see cref="Certificates"/> folder (docs/https.md); an http listener may
/// send every request to https instead (<see cref="RedirectToHttps"/>). With <see cref="Protocol"/> Tcp, a port rule:
/// "0.0.0.0:7000" or a range "0.0.0.0:7000-7010" whose connections all go to <see cref="Farm"/> (docs/tcp.md).
/// </summary>
public sealed record ListenEndpoint(string Url, ListenProtocols Protocols = ListenProtocols.Http1AndHttp2)
{
    /// <summary>Http (routed requests) or Tcp (a port rule to <see cref="Farm"/>).</summary>
    public TrafficProtocol Protocol { get; init; } = TrafficProtocol.Http;

    /// <summary>Tcp listeners: the farm every connection goes to (HTTP listeners route by Routes instead).</summary>
    public string? Farm { get; init; }

    /// <summary>Tcp listeners: open connections allowed at once on the whole listener (every port of its range); 0 = unlimited.</summary>
    public int MaxConnections { get; init; }

    /// <summary>https: the folder of certificates (PEM pairs, combined PEM, PFX), relative to the config file.</summary>
    public string? Certificates { get; init; }

    /// <summary>https: the password of the folder's .pfx files (null: they have none).</summary>
    public string? CertificatePassword { get; init; }

    /// <summary>https: the certificate (its file name without extension) for clients whose SNI names no certificate; null: the first by name.</summary>
    public string? DefaultCertificate { get; init; }

    /// <summary>http: answer every request with a redirect to the same URL on https (301 for GET and HEAD, 308 otherwise).</summary>
    public bool RedirectToHttps { get; init; }

    /// <summary>http with <see cref="RedirectToHttps"/>: the https port the redirect names (null: the first https listener's).</summary>
    public int? HttpsPort { get; init; }

    /// <summary>https: Strict-Transport-Security on every response; null: none.</summary>
    public HstsOptions? Hsts { get; init; }

    /// <summary>True for an https:// listener.</summary>
    public bool IsHttps => Url is not null && Url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
