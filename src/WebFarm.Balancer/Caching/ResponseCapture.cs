using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace WebFarm.Balancer.Caching;

/// <summary>
/// Stands in for Kestrel's response while the request pipeline fetches a cacheable request, so both upstream paths
/// (direct and SocketsHttpHandler) and the balancer's own errors write into it unchanged. At the first body byte, flush
/// or start it asks <see cref="ShouldHold"/> whether to hold the response (a storable one, a 304 to the cache's own
/// validators, a 5xx a stale copy may replace); anything else is passed through to the client at once, and so is a
/// held body that grows past <c>MaxEntrySize</c>, so streams and large downloads are never held back.
/// </summary>
internal sealed class ResponseCapture : PipeWriter, IHttpResponseFeature, IHttpResponseBodyFeature
{
    private readonly HttpContext _context;
    private readonly IHttpResponseFeature _realResponse;
    private readonly IHttpResponseBodyFeature _realBody;
    private readonly Func<int, IHeaderDictionary, bool> _shouldHold;
    private readonly int _maxBody;
    private readonly ArrayBufferWriter<byte> _held = new();
    private Stream? _stream;
    private State _state;

    public ResponseCapture(HttpContext context, Func<int, IHeaderDictionary, bool> shouldHold, int maxBody)
    {
        _context = context;
        _realResponse = context.Features.GetRequiredFeature<IHttpResponseFeature>();
        _realBody = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        _shouldHold = shouldHold;
        _maxBody = maxBody;
        context.Features.Set<IHttpResponseFeature>(this);
        context.Features.Set<IHttpResponseBodyFeature>(this);
    }

    private enum State
    {
        Undecided,
        Holding,
        PassedThrough,
    }

    /// <summary>The response went to the client as it came (not held, or too large to hold).</summary>
    public bool PassedThrough => _state == State.PassedThrough;

    /// <summary>The held body (valid until <see cref="Restore"/>'s caller is done with it).</summary>
    public ReadOnlySpan<byte> Body => _held.WrittenSpan;

    public int StatusCode { get; set; } = StatusCodes.Status200OK;

    public string? ReasonPhrase { get; set; }

    public IHeaderDictionary Headers { get; set; } = new HeaderDictionary();

#pragma warning disable CS0618 // IHttpResponseFeature.Body is obsolete but part of the interface.
    Stream IHttpResponseFeature.Body { get => Stream; set => throw new NotSupportedException("the response body of a cached route cannot be replaced"); }
#pragma warning restore CS0618

    /// <summary>Started for the pipeline once a body byte was written (a failure then aborts rather than retries).</summary>
    public bool HasStarted => _state == State.PassedThrough ? _realResponse.HasStarted : _held.WrittenCount > 0;

    public Stream Stream => _stream ??= this.AsStream(leaveOpen: true);

    public PipeWriter Writer => this;

    /// <summary>Puts Kestrel's own response features back (the caller then writes what was held, if anything).</summary>
    public void Restore()
    {
        _context.Features.Set(_realResponse);
        _context.Features.Set(_realBody);
    }

    public void OnStarting(Func<object, Task> callback, object state) => _realResponse.OnStarting(callback, state);

    public void OnCompleted(Func<object, Task> callback, object state) => _realResponse.OnCompleted(callback, state);

    public void DisableBuffering() => _realBody.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        Decide();
        return _state == State.PassedThrough ? _realBody.StartAsync(cancellationToken) : Task.CompletedTask;
    }

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
        => throw new NotSupportedException("the balancer never sends files");

    public Task CompleteAsync() => _state == State.PassedThrough ? _realBody.CompleteAsync() : Task.CompletedTask;

    public override void Advance(int bytes)
    {
        if (_state == State.PassedThrough)
        {
            _realBody.Writer.Advance(bytes);
            return;
        }

        _held.Advance(bytes);
        if (_held.WrittenCount > _maxBody)
        {
            PassThrough();
        }
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Decide();
        return _state == State.PassedThrough ? _realBody.Writer.GetMemory(sizeHint) : _held.GetMemory(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Decide();
        return _state == State.PassedThrough ? _realBody.Writer.GetSpan(sizeHint) : _held.GetSpan(sizeHint);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        Decide();
        return _state == State.PassedThrough ? _realBody.Writer.FlushAsync(cancellationToken) : new(new FlushResult(false, false));
    }

    public override void CancelPendingFlush()
    {
        if (_state == State.PassedThrough)
        {
            _realBody.Writer.CancelPendingFlush();
        }
    }

    public override void Complete(Exception? exception = null)
    {
        if (_state == State.PassedThrough)
        {
            _realBody.Writer.Complete(exception);
        }
    }

    /// <summary>Copies the status and headers (plus X-Cache: MISS) to Kestrel's response and writes what was held.</summary>
    private void PassThrough()
    {
        var real = _realResponse;
        real.StatusCode = StatusCode;
        real.ReasonPhrase = ReasonPhrase;
        foreach (var (name, value) in Headers)
        {
            real.Headers[name] = value;
        }

        real.Headers[CacheHeaders.XCache] = CacheHeaders.Miss;
        _state = State.PassedThrough;
        if (_held.WrittenCount > 0)
        {
            _realBody.Writer.Write(_held.WrittenSpan);
            _held.Clear();
        }

        // Later calls through the context reach Kestrel directly; writers already handed out forward to it.
        Restore();
    }

    private void Decide()
    {
        if (_state != State.Undecided)
        {
            return;
        }

        if (_shouldHold(StatusCode, Headers))
        {
            _state = State.Holding;
        }
        else
        {
            PassThrough();
        }
    }
}
