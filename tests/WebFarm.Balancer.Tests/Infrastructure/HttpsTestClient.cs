using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>
/// An HttpClient for an https listener on 127.0.0.1: it connects there whatever the URL's host, so the host is the SNI
/// name the balancer selects by, accepts any certificate, and records each handshake's certificate (one per new
/// connection: a request on a kept connection adds none).
/// </summary>
public sealed class HttpsTestClient : IDisposable
{
    private readonly List<X509Certificate2> _handshakes = [];

    public HttpsTestClient(int port, Version? version = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            lock (_handshakes)
            {
                _handshakes.Add(new X509Certificate2(certificate!));
            }

            return true;
        };
        Http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        if (version is not null)
        {
            Http.DefaultRequestVersion = version;
            Http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        Port = port;
    }

    public HttpClient Http { get; }

    public int Port { get; }

    /// <summary>The certificates the server presented, one per handshake, in order.</summary>
    public IReadOnlyList<X509Certificate2> Handshakes
    {
        get
        {
            lock (_handshakes)
            {
                return [.. _handshakes];
            }
        }
    }

    /// <summary>"https://{host}:{port}{path}": the host is the SNI name (and the Host header).</summary>
    public Uri Url(string host, string path = "/") => new($"https://{host}:{Port}{path}");

    /// <summary>Makes a fresh connection to 127.0.0.1 with SNI <paramref name="serverName"/> and returns the certificate's subject.</summary>
    public static async Task<string> SubjectAsync(int port, string? serverName)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName ?? string.Empty,
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        });
        return tls.RemoteCertificate!.Subject;
    }

    public void Dispose() => Http.Dispose();
}
