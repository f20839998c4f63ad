using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using WebFarm.Balancer.Forwarding.Headers;

namespace WebFarm.Balancer.Compression;

/// <summary>
/// The response body of a request on a route with compression: stands in for Kestrel's
/// <see cref="IHttpResponseBodyFeature"/>, so both upstream paths (the direct HTTP/1.1 path and SocketsHttpHandler)
/// write to it as they would to Kestrel's. At the first body write or flush, when the server's status and headers are
/// on the response, it decides once: pass through, or set Content-Encoding, drop Content-Length and Accept-Ranges, weaken
/// the ETag (RFC 9110 8.8.1: a transformed body is not byte-identical) and push every byte through an encoder. A flush
/// flushes the encoder first, so a stream (server-sent events) reaches the client event by event.
/// <c>Vary: Accept-Encoding</c> goes on every response the client's Accept-Encoding decided, compressed or not.
/// </summary>
internal sealed class CompressingResponseBody : PipeWriter, IHttpResponseBodyFeature
{
    private const int BufferSize = 16 * 1024;

    private readonly HttpContext _context;
    private readonly IHttpResponseBodyFeature _inner;
    private readonly CompressionPolicy _policy;
    private readonly ContentCoding _coding;
    private State _state;
    private Stream? _encoder;
    private byte[]? _buffer;
    private Stream? _stream;

    private CompressingResponseBody(HttpContext context, IHttpResponseBodyFeature inner, CompressionPolicy policy, ContentCoding coding)
    {
        _context = context;
        _inner = inner;
        _policy = policy;
        _coding = coding;
    }

    private enum State
    {
        Undecided,
        PassThrough,
        Compressing,
        Finished,
    }

    public Stream Stream => _stream ??= AsStream(leaveOpen: true);

    public PipeWriter Writer => this;

    /// <summary>Takes over the response body of a request its route compresses; null when the request may not be compressed (HEAD, Range).</summary>
    public static CompressingResponseBody? TryInstall(HttpContext context, CompressionPolicy? policy)
    {
        if (policy is null || !CompressionPolicy.AppliesTo(context.Request) || context.Features.Get<IHttpResponseBodyFeature>() is not { } inner)
        {
            return null;
        }

        var body = new CompressingResponseBody(context, inner, policy, AcceptEncoding.Choose(context.Request.Headers.AcceptEncoding, policy.Codings));
        context.Features.Set<IHttpResponseBodyFeature>(body);
        return body;
    }

    /// <summary>Writes the encoder's last block once the pipeline is done with the response (the upstream paths never complete Kestrel's writer).</summary>
    public async ValueTask FinishAsync()
    {
        if (_state != State.Compressing)
        {
            return;
        }

        _state = State.Finished;
        try
        {
            await _encoder!.DisposeAsync().ConfigureAwait(false);

            // A response Kestrel has not started yet goes out at the end of the request with a Content-Length for what
            // was written (short bodies); one that was flushed before needs its tail pushed now.
            if (_context.Response.HasStarted)
            {
                await _inner.Writer.FlushAsync(_context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException && _context.RequestAborted.IsCancellationRequested)
        {
            // The client left; the pipeline already counted the abort.
        }
        finally
        {
            ReturnBuffer();
        }
    }

    public override void Advance(int bytes)
    {
        if (_state == State.Compressing)
        {
            _encoder!.Write(_buffer!, 0, bytes);
        }
        else
        {
            _inner.Writer.Advance(bytes);
        }
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Decide();
        return _state == State.Compressing ? Buffer(sizeHint) : _inner.Writer.GetMemory(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Decide();
        return _state == State.Compressing ? Buffer(sizeHint) : _inner.Writer.GetSpan(sizeHint);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        Decide();
        if (_state == State.Compressing)
        {
            // A sync flush (zlib Z_SYNC_FLUSH, Brotli's FLUSH operation): everything written so far can be decoded now.
            _encoder!.Flush();
        }

        return _inner.Writer.FlushAsync(cancellationToken);
    }

    public override void CancelPendingFlush() => _inner.Writer.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        if (_state == State.Compressing)
        {
            _state = State.Finished;
            _encoder!.Dispose();
            ReturnBuffer();
        }

        _inner.Writer.Complete(exception);
    }

    public void DisableBuffering() => _inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        Decide();
        return _inner.StartAsync(cancellationToken);
    }

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
        => SendFileFallback.SendFileAsync(Stream, path, offset, count, cancellationToken);

    public async Task CompleteAsync()
    {
        await FinishAsync().ConfigureAwait(false);
        await _inner.CompleteAsync().ConfigureAwait(false);
    }

    private static void AddVary(IHeaderDictionary headers)
    {
        var vary = headers.Vary;
        foreach (var value in vary)
        {
            if (HeaderNames.ListContains(value, "Accept-Encoding") || HeaderNames.ListContains(value, "*"))
            {
                return;
            }
        }

        headers.Vary = vary.Count == 0 ? "Accept-Encoding" : string.Join(", ", vary.ToArray()) + ", Accept-Encoding";
    }

    private void Decide()
    {
        if (_state != State.Undecided)
        {
            return;
        }

        var response = _context.Response;
        if (response.HasStarted || !_policy.Eligible(response))
        {
            _state = State.PassThrough;
            return;
        }

        var headers = response.Headers;
        AddVary(headers);
        if (_coding == ContentCoding.Identity)
        {
            _state = State.PassThrough;
            return;
        }

        headers.ContentEncoding = ContentCodingNames.Of(_coding);
        headers.ContentLength = null;

        // Ranges of the identity body cannot be served from this one (Range requests are never compressed).
        headers.AcceptRanges = StringValues.Empty;
        if (headers.ETag is { Count: 1 } etag && etag[0] is { Length: > 0 } tag && tag[0] == '"')
        {
            headers.ETag = "W/" + tag;
        }

        _encoder = _policy.CreateEncoder(_coding, new PipeWriterSink(_inner.Writer));
        _state = State.Compressing;
    }

    private byte[] Buffer(int sizeHint)
    {
        if (_buffer is null || _buffer.Length < sizeHint)
        {
            ReturnBuffer();
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(BufferSize, sizeHint));
        }

        return _buffer;
    }

    private void ReturnBuffer()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
