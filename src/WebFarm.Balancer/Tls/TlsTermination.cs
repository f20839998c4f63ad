using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.Tls;

/// <summary>
/// The TLS step of an https listener on the epoll transport: the connection's socket is taken before any pipe reads it
/// (<see cref="EpollConnection.TakeSocket"/>) and an SslStream runs directly over it (<see cref="EpollSocketStream"/>),
/// so a request's bytes go recv() → SslStream (decrypted in its own buffer) → the front end's pipe, and a response
/// the other way, with no transport pipes, receive and send loops or stream-over-pipe adapters between. Kestrel's TLS
/// middleware (still on the listener, after this one) sees the TLS features set and passes the connection on; it does
/// the TLS itself only where this cannot (the Sockets engine). The handshake follows the same rules as Kestrel's with
/// <see cref="CertificateStore.OnConnection"/>: the certificate by SNI, TLS 1.2/1.3, ALPN, the same timeout.
/// docs/https.md, "Which code serves https"; the measurement is in docs/benchmarks.md.
/// </summary>
internal sealed partial class TlsTermination
{
    // Kestrel's own default (TlsHandshakeCallbackOptions.HandshakeTimeout), so both TLS paths give a client as long.
    internal static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    // The pipes' segment size: the pool's blocks. A response head and a small body fit one block, so the front end's
    // flush is one SslStream write, one TLS record and one send().
    private const int BufferSize = PinnedBlockPool.BlockSize;

    private readonly CertificateStore _certificates;
    private readonly ILogger _logger;

    public TlsTermination(CertificateStore certificates, ILogger logger, TimeSpan handshakeTimeout)
    {
        _certificates = certificates;
        _logger = logger;
        HandshakeTimeout = handshakeTimeout;
    }

    /// <summary>How long a client has to complete the handshake (Kestrel's TLS middleware gets the same).</summary>
    public TimeSpan HandshakeTimeout { get; }

    /// <summary>The connection middleware; put it before Kestrel's UseHttps on the listener.</summary>
    public ConnectionDelegate Wrap(ConnectionDelegate next) => connection => OnConnectionAsync(connection, next);

    private async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var socket = (connection as EpollConnection)?.TakeSocket();
        if (socket is null)
        {
            // Another transport (or one already read): Kestrel's TLS middleware, next, does the handshake.
            await next(connection).ConfigureAwait(false);
            return;
        }

        var ssl = new SslStream(new EpollSocketStream(socket), leaveInnerStreamOpen: true);
        try
        {
            if (!await HandshakeAsync(connection, ssl).ConfigureAwait(false))
            {
                return;
            }

            var features = new TlsConnectionFeatures(ssl);
            connection.Features.Set<ITlsConnectionFeature>(features);
            connection.Features.Set<ITlsHandshakeFeature>(features);
            connection.Features.Set<ITlsApplicationProtocolFeature>(features);
            connection.Features.Set<ISslStreamFeature>(features);

            var pool = connection.Features.Get<IMemoryPoolFeature>()?.MemoryPool ?? MemoryPool<byte>.Shared;

            // Zero-byte reads: between requests the reader waits for readability without a buffer (SslStream passes a
            // zero-byte read down when it holds nothing), so an idle connection holds no block, as on the piped path.
            var input = PipeReader.Create(ssl, new StreamPipeReaderOptions(pool, BufferSize, BufferSize / 4, leaveOpen: true, useZeroByteReads: true));
            var output = PipeWriter.Create(ssl, new StreamPipeWriterOptions(pool, BufferSize, leaveOpen: true));
            connection.Transport = new TlsDuplexPipe(input, output);
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                await input.CompleteAsync().ConfigureAwait(false);
                await output.CompleteAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The handshake, bounded by the timeout: a client that never finishes it is cut off (the connection aborted, which
    /// ends a read waiting on the socket). False when it failed; the reason is logged at Debug, as Kestrel does.
    /// </summary>
    private async ValueTask<bool> HandshakeAsync(ConnectionContext connection, SslStream ssl)
    {
        using var timeout = new CancellationTokenSource(HandshakeTimeout);
        using var abort = timeout.Token.UnsafeRegister(static state => ((ConnectionContext)state!).Abort(new ConnectionAbortedException("WebFarm: the TLS handshake timed out.")), connection);
        try
        {
            await ssl.AuthenticateAsServerAsync(SelectOptions, _certificates, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or OperationCanceledException or ObjectDisposedException)
        {
            if (timeout.IsCancellationRequested)
            {
                Log.HandshakeTimedOut(_logger, connection.ConnectionId, HandshakeTimeout);
            }
            else
            {
                Log.HandshakeFailed(_logger, connection.ConnectionId, ex);
            }

            return false;
        }
    }

    /// <summary>The options of the certificate the client's SNI name selects (one rule: <see cref="CertificateSet.Select"/>).</summary>
    private static ValueTask<SslServerAuthenticationOptions> SelectOptions(SslStream stream, SslClientHelloInfo hello, object? state, CancellationToken cancellationToken)
        => ValueTask.FromResult(((CertificateStore)state!).Current.Select(hello.ServerName).Options);

    private sealed class TlsDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
