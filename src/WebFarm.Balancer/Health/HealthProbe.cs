using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Tls;

namespace WebFarm.Balancer.Health;

/// <summary>
/// Sends one health request and judges the answer. It has its own connection pool, separate from the traffic's,
/// so a check sees what a new client would see, and it never trusts the server: redirects are not followed (the
/// redirect status is the answer), at most <see cref="MaxBodyBytes"/> of the body are read, and the whole probe,
/// body included, is bounded by the check's timeout. http:// servers over HTTP/1.1 (the usual case) are probed with
/// the balancer's own HTTP/1.1 client (<see cref="Http1HealthExchange"/>); https:// servers and h2c with
/// SocketsHttpHandler, created at the first such probe.
/// </summary>
public sealed class HealthProbe : IDisposable
{
    /// <summary>The most body bytes a probe reads; the connection is closed rather than drained past that.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Characters of body kept in a result.</summary>
    public const int ExcerptLength = 200;

    private const string TcpScheme = "tcp";

    private static readonly ProductInfoHeaderValue UserAgent = new("WebFarm-HealthCheck", "1.0");

    private readonly TimeProvider _time;
    private readonly Func<UpstreamTls>? _trust;
    private readonly Lock _invokerLock = new();
    private HttpMessageInvoker? _invoker;
    private bool _disposed;

    public HealthProbe(TimeProvider? time = null)
        : this(time, trust: null)
    {
    }

    /// <param name="trust">
    /// The farm's rule for https servers' certificates, read at each handshake (a reload may change it); null: the
    /// system's trusted roots.
    /// </param>
    internal HealthProbe(TimeProvider? time, Func<UpstreamTls>? trust)
    {
        _time = time ?? TimeProvider.System;
        _trust = trust;
    }

    /// <summary>Probes <paramref name="server"/> once. Only <paramref name="cancellationToken"/> makes it throw.</summary>
    public Task<HealthProbeResult> ProbeAsync(ServerRuntime server, HealthCheckOptions settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        return ProbeAsync(server.Address, settings, cancellationToken);
    }

    /// <summary>
    /// Probes the server at <paramref name="serverAddress"/> once, judged exactly as the balancer's checks judge it
    /// (used by `webfarm up` to wait for an instance before it is a balancer server). Only <paramref name="cancellationToken"/> makes it throw.
    /// </summary>
    public async Task<HealthProbeResult> ProbeAsync(Uri serverAddress, HealthCheckOptions settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(serverAddress);
        ArgumentNullException.ThrowIfNull(settings);
        var tcpServer = serverAddress.Scheme == TcpScheme;
        if (settings.Type == HealthCheckType.Connect || (settings.Type == HealthCheckType.Auto && tcpServer))
        {
            return await ConnectProbeAsync(serverAddress, settings, cancellationToken).ConfigureAwait(false);
        }

        // An HTTP check of a TCP server (a service with an HTTP status port) speaks cleartext HTTP to the same port.
        var url = ResolveTarget(settings.Path, tcpServer ? new UriBuilder(serverAddress) { Scheme = Uri.UriSchemeHttp }.Uri : serverAddress);
        var version = ParseVersion(settings.HttpVersion);
        return url.Scheme == Uri.UriSchemeHttp && version.Major == 1
            ? await DirectProbeAsync(url, settings, cancellationToken).ConfigureAwait(false)
            : await HandlerProbeAsync(url, version, settings, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        lock (_invokerLock)
        {
            _disposed = true;
            _invoker?.Dispose();
            _invoker = null;
        }
    }

    /// <summary>An http:// server over HTTP/1.1: the balancer's own HTTP/1.1 client (<see cref="Http1HealthExchange"/>).</summary>
    private async Task<HealthProbeResult> DirectProbeAsync(Uri url, HealthCheckOptions settings, CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        var startTimestamp = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        using var body = new ProbeBody();
        try
        {
            var failure = await Http1HealthExchange.RunAsync(url, settings.Host, body, timeout.Token).ConfigureAwait(false);
            return failure is null
                ? Judge(started, url, body.Status!.Value, startTimestamp, body.Bytes, settings)
                : Failure(started, url, body.Status, startTimestamp, failure);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return TimedOut(started, url, body.Status, startTimestamp, settings);
        }
    }

    /// <summary>https:// servers and h2c: SocketsHttpHandler, created at the first such probe.</summary>
    private async Task<HealthProbeResult> HandlerProbeAsync(Uri url, Version version, HealthCheckOptions settings, CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        var startTimestamp = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        int? status = null;
        byte[]? buffer = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url)
            {
                Version = version,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            request.Headers.UserAgent.Add(UserAgent);
            // A new connection per probe, as a new client would open: a server that stopped accepting
            // connections must not look healthy through a pooled one.
            if (version.Major == 1)
            {
                request.Headers.ConnectionClose = true;
            }

            if (settings.Host is { } host)
            {
                request.Headers.Host = host;
            }

            using var response = await Invoker().SendAsync(request, timeout.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            buffer = ArrayPool<byte>.Shared.Rent(MaxBodyBytes);
            var length = 0;
            await using (var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false))
            {
                while (length < MaxBodyBytes)
                {
                    var read = await body.ReadAsync(buffer.AsMemory(length, MaxBodyBytes - length), timeout.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    length += read;
                }
            }

            return Judge(started, url, status.Value, startTimestamp, buffer.AsSpan(0, length), settings);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return TimedOut(started, url, status, startTimestamp, settings);
        }
        catch (HttpRequestException ex)
        {
            return Failure(started, url, status, startTimestamp, Describe(ex));
        }
        catch (IOException ex)
        {
            return Failure(started, url, status, startTimestamp, $"connection failed while reading the body: {ex.Message}");
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>The verdict on a response that arrived: its status against the expected ones, then the body match.</summary>
    private static HealthProbeResult Judge(DateTimeOffset started, Uri url, int status, long startTimestamp, ReadOnlySpan<byte> bytes, HealthCheckOptions settings)
    {
        var latency = Stopwatch.GetElapsedTime(startTimestamp);
        var excerpt = Excerpt(bytes);
        if (!settings.ExpectedStatus.Contains(status))
        {
            return new(started, url, status, latency, excerpt, false,
                string.Create(CultureInfo.InvariantCulture, $"status {status} not in {settings.ExpectedStatus}"));
        }

        if (settings.ExpectedBody is { } expected && bytes.IndexOf(Encoding.UTF8.GetBytes(expected)) < 0)
        {
            return new(started, url, status, latency, excerpt, false,
                string.Create(CultureInfo.InvariantCulture, $"status {status} but \"{Shorten(expected)}\" not found in the first {bytes.Length} bytes of the body"));
        }

        return new(started, url, status, latency, excerpt, true, string.Create(CultureInfo.InvariantCulture, $"status {status}"));
    }

    private HealthProbeResult TimedOut(DateTimeOffset started, Uri url, int? status, long startTimestamp, HealthCheckOptions settings)
    {
        var what = status is null ? "no response" : $"status {status} but the body did not finish";
        return Failure(started, url, status, startTimestamp, $"timed out after {DurationParser.Format(settings.Timeout)} ({what})");
    }

    /// <summary>
    /// The handler for https servers and h2c, made at the first probe that needs it: a plain-HTTP farm never loads
    /// SocketsHttpHandler (nor, without https, TLS).
    /// </summary>
    private HttpMessageInvoker Invoker()
    {
        lock (_invokerLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_invoker is not null)
            {
                return _invoker;
            }

            var handler = new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                AutomaticDecompression = DecompressionMethods.None,
                // Never drain an unread (possibly huge or endless) body to reuse a connection: close it.
                MaxResponseDrainSize = 0,
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
                ConnectTimeout = System.Threading.Timeout.InfiniteTimeSpan, // each probe's own timeout bounds it all
                MaxResponseHeadersLength = 64, // KiB
                ActivityHeadersPropagator = null,
            };
            if (_trust is { } trust)
            {
                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => trust().Accepts(certificate, chain, errors);
            }

            return _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        }
    }


    /// <summary>
    /// A TCP connect check: the server passes when it accepts a connection within the timeout (closed at once, as
    /// HAProxy's default <c>check</c> in <c>mode tcp</c> does). A new connection each time, as a new client opens one.
    /// </summary>
    private async Task<HealthProbeResult> ConnectProbeAsync(Uri serverAddress, HealthCheckOptions settings, CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        var startTimestamp = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        var target = new Uri($"tcp://{serverAddress.Authority}");
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(serverAddress.IdnHost, serverAddress.Port, timeout.Token).ConfigureAwait(false);
            return new(started, target, null, Stopwatch.GetElapsedTime(startTimestamp), string.Empty, true, "connected");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failure(started, target, null, startTimestamp, $"connect timed out after {DurationParser.Format(settings.Timeout)}");
        }
        catch (SocketException ex)
        {
            return Failure(started, target, null, startTimestamp, Describe(ex));
        }
    }

    /// <summary>The URL probed: <paramref name="path"/> when it is an absolute http(s) URL, else resolved against the server's address.</summary>
    public static Uri ResolveTarget(string path, Uri serverAddress)
        => Uri.TryCreate(path, UriKind.Absolute, out var absolute) && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps)
            ? absolute
            : new Uri(serverAddress, path);

    /// <summary>"2" (or "2.0") is h2c with prior knowledge; anything else is HTTP/1.1 (the config validator refuses other values).</summary>
    public static Version ParseVersion(string? text)
        => text is "2" or "2.0" ? HttpVersion.Version20 : HttpVersion.Version11;

    /// <summary>A short reason for a transport failure (also used by passive health).</summary>
    public static string Describe(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.ConnectionReset => "connection reset",
                    SocketError.TimedOut => "connect timed out",
                    SocketError.HostUnreachable or SocketError.NetworkUnreachable => "host unreachable",
                    SocketError.HostNotFound or SocketError.NoData => "host not found",
                    _ => "socket error " + socket.SocketErrorCode,
                };
            }
        }

        return error switch
        {
            null => "transport failure",
            HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse } => "invalid HTTP response",
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => "connection closed before a complete response",
            HttpRequestException { HttpRequestError: HttpRequestError.VersionNegotiationError } => "HTTP version not supported by the server",
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => "TLS handshake failed",
            HttpRequestException { HttpRequestError: HttpRequestError.ConfigurationLimitExceeded } => "response headers too large",
            TimeoutException or OperationCanceledException => "timed out",
            _ => Shorten(error.Message),
        };
    }

    private HealthProbeResult Failure(DateTimeOffset started, Uri url, int? status, long startTimestamp, string reason)
        => new(started, url, status, Stopwatch.GetElapsedTime(startTimestamp), string.Empty, false, reason);

    /// <summary>The first <see cref="ExcerptLength"/> characters, safe to print in a terminal or JSON.</summary>
    internal static string Excerpt(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return string.Empty;
        }

        // 4 bytes per character at most in UTF-8; decoding more would be wasted.
        var text = Encoding.UTF8.GetString(body[..Math.Min(body.Length, ExcerptLength * 4)]);
        var length = Math.Min(text.Length, ExcerptLength);
        return string.Create(length, text, static (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                var c = source[i];
                // Control characters (escape sequences, NUL) and lone surrogates would garble a terminal.
                span[i] = char.IsControl(c) || char.IsSurrogate(c) ? ' ' : c;
            }
        });
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
}
