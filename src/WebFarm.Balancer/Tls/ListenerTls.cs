using System.Net.Security;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Hosting;

namespace WebFarm.Balancer.Tls;

/// <summary>
/// The certificate stores of a configuration's https listeners, opened at start (the listeners are restart-only, so
/// a reload never changes them; each store follows its own folder).
/// </summary>
internal sealed class ListenerTls : IDisposable
{
    private readonly CertificateStore?[] _stores;

    private ListenerTls(CertificateStore?[] stores, int firstHttpsPort)
    {
        _stores = stores;
        FirstHttpsPort = firstHttpsPort;
    }

    /// <summary>The port of the first https listener (0 when there is none): where a redirect goes by default.</summary>
    public int FirstHttpsPort { get; }

    /// <summary>The store of listener <paramref name="index"/>, or null for a cleartext listener.</summary>
    public CertificateStore? Store(int index) => _stores[index];

    /// <summary>Opens a store per https listener; folders are relative to <paramref name="baseDirectory"/>.</summary>
    /// <exception cref="ConfigException">Every certificate problem, at <c>$.Listen[i].Certificates</c> with its file.</exception>
    public static ListenerTls Open(BalancerConfig config, string baseDirectory, EventStream events, ILogger logger)
    {
        var stores = new CertificateStore?[config.Listen.Count];
        var errors = new List<ConfigError>();
        var firstHttpsPort = 0;
        for (var i = 0; i < config.Listen.Count; i++)
        {
            var endpoint = config.Listen[i];
            if (!endpoint.IsHttps)
            {
                continue;
            }

            if (firstHttpsPort == 0 && ListenAddress.TryParse(endpoint.Url, out var address, out _, allowHttps: true))
            {
                firstHttpsPort = address.Port;
            }

            var folder = Path.GetFullPath(Path.Combine(baseDirectory, endpoint.Certificates!));
            try
            {
                stores[i] = CertificateStore.Open(endpoint.Url, folder, endpoint.CertificatePassword, endpoint.DefaultCertificate, Alpn(endpoint.Protocols), events, logger);
            }
            catch (CertificateFolderException ex)
            {
                foreach (var problem in ex.Problems)
                {
                    errors.Add(new ConfigError(config.SourcePath, $"$.Listen[{i}].Certificates", problem.File == folder ? problem.Reason : $"{Path.Combine(folder, problem.File)}: {problem.Reason}"));
                }
            }
        }

        var tls = new ListenerTls(stores, firstHttpsPort);
        if (errors.Count > 0)
        {
            tls.Dispose();
            throw new ConfigException(errors);
        }

        return tls;
    }

    /// <summary>What ALPN offers: h2 first (browsers get HTTP/2), then http/1.1.</summary>
    private static List<SslApplicationProtocol> Alpn(ListenProtocols protocols) => protocols switch
    {
        ListenProtocols.Http1 => [SslApplicationProtocol.Http11],
        ListenProtocols.Http2 => [SslApplicationProtocol.Http2],
        _ => [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
    };

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store?.Dispose();
        }
    }
}
