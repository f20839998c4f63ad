using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Hosting;

/// <summary>How to start a <see cref="BalancerHost"/>: from a config file (watched) or a config object.</summary>
public sealed record BalancerHostOptions
{
    /// <summary>Config file to load and watch for changes. Exclusive with <see cref="Config"/>.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>In-memory configuration (not watched). Exclusive with <see cref="ConfigPath"/>.</summary>
    public BalancerConfig? Config { get; init; }

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Replaces the config's Listen (e.g. "http://127.0.0.1:0" in tests); reloads never change listeners.</summary>
    public IReadOnlyList<ListenEndpoint>? ListenOverride { get; init; }

    /// <summary>Replaces the config's Admin.Listen; an empty string disables the admin API.</summary>
    public string? AdminOverride { get; init; }

    /// <summary>Quiet period after a file change before reloading (editors write files in several steps).</summary>
    public TimeSpan ReloadDebounce { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a stop waits for in-flight requests before closing connections.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a client connection may stay idle between requests (null: Kestrel's default, 130 s). Applies to
    /// Kestrel and to the HTTP/1.1 front end alike.
    /// </summary>
    public TimeSpan? ClientKeepAliveTimeout { get; init; }

    /// <summary>How long a client may take to send a request head once it started (null: Kestrel's default, 30 s).</summary>
    public TimeSpan? ClientRequestHeadersTimeout { get; init; }

    /// <summary>How long a client may take to complete the TLS handshake on an https listener (null: 10 s, Kestrel's default).</summary>
    public TimeSpan? TlsHandshakeTimeout { get; init; }
}
