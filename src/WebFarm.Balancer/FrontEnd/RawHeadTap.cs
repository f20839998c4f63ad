using System.Buffers;
using System.IO.Pipelines;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// The client connection's input as Kestrel's HTTP/1.1 stack reads it after a hand-off, recording the bytes Kestrel
/// consumes between requests: the raw request head. Kestrel's parsed view loses facts the balancer's rules need
/// (it rewrites "Connection: keep-alive, X-Secret" to "keep-alive", "Content-Length: +5" to "5"), so the Kestrel
/// path screens the raw head with the same byte-level rules (<see cref="Forwarding.Headers.RequestHeadScreen"/>).
/// Recording pauses while a request runs (<see cref="TakeHead"/>) so request bodies are not copied, and resumes when
/// Kestrel ends the request (<see cref="Dispose"/>, registered for the request's end). Bytes Kestrel consumes in
/// between (an unread body it drains) precede the next head; the head is what follows the last empty line.
/// </summary>
internal sealed class RawHeadTap : PipeReader, IDuplexPipe, IDisposable
{
    /// <summary>Kestrel refuses heads over 32 KiB of headers plus an 8 KiB request line; older bytes are never needed.</summary>
    private const int MaxRecorded = 64 * 1024;

    private readonly PipeReader _inner;
    private readonly PipeWriter _output;
    private ReadOnlySequence<byte> _last;
    private byte[] _recorded = [];
    private int _length;
    private bool _paused;
    private bool _examinedAll;

    /// <summary>Taps <paramref name="transport"/>'s input; its output is left as it is.</summary>
    public RawHeadTap(IDuplexPipe transport)
    {
        _inner = transport.Input;
        _output = transport.Output;
    }

    /// <summary>The transport Kestrel gets: this reader, and the connection's own output.</summary>
    PipeReader IDuplexPipe.Input => this;

    PipeWriter IDuplexPipe.Output => _output;

    /// <summary>The current request's Connection values as sent (Kestrel's view keeps only keep-alive/close); null when none.</summary>
    public string? Connection { get; set; }

    /// <summary>
    /// The head of the request Kestrel just parsed (empty when nothing was recorded), valid until the next read;
    /// recording pauses until the request ends.
    /// </summary>
    public ReadOnlySpan<byte> TakeHead()
    {
        var recorded = _recorded.AsSpan(0, _length);
        _length = 0;
        _paused = true;
        if (recorded.Length < 2 || !recorded.EndsWith("\n\n"u8) && !recorded.EndsWith("\n\r\n"u8))
        {
            return default;
        }

        // A head ending in bare LFs is returned whole (from the last CRLF CRLF before it): the screen refuses it.
        var previousEnd = recorded[..^2].LastIndexOf("\r\n\r\n"u8);
        var head = previousEnd < 0 ? recorded : recorded[(previousEnd + 4)..];

        // Kestrel skips empty lines before a request line, as RFC 9112 2.2 allows.
        while (head.StartsWith("\r\n"u8))
        {
            head = head[2..];
        }

        return head;
    }

    /// <summary>The request ended: record what Kestrel consumes next.</summary>
    public void Dispose()
    {
        Connection = null;
        _paused = false;
    }

    public override void AdvanceTo(SequencePosition consumed)
    {
        Record(consumed);
        _examinedAll = consumed.Equals(_last.End);
        _inner.AdvanceTo(consumed);
    }

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        Record(consumed);
        _examinedAll = examined.Equals(_last.End);
        _inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var reading = _inner.ReadAsync(cancellationToken);
        return reading.IsCompletedSuccessfully ? new ValueTask<ReadResult>(Observe(reading.Result)) : AwaitAsync(reading);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_inner.TryRead(out result))
        {
            result = Observe(result);
            return true;
        }

        return false;
    }

    private async ValueTask<ReadResult> AwaitAsync(ValueTask<ReadResult> reading) => Observe(await reading.ConfigureAwait(false));

    /// <summary>
    /// Remembers the buffer (for <see cref="Record"/>) and holds the client's FIN back while bytes Kestrel has not
    /// examined remain: Kestrel's body reader refuses a body whose connection input has ended even when every byte
    /// of it is there ("Unexpected end of request content"), so a client that sends a complete request and then
    /// half-closes would get nothing. Once Kestrel has looked at everything, the end is reported.
    /// </summary>
    private ReadResult Observe(ReadResult result)
    {
        _last = result.Buffer;
        if (result.IsCompleted && !result.Buffer.IsEmpty && !_examinedAll)
        {
            return new ReadResult(result.Buffer, result.IsCanceled, isCompleted: false);
        }

        return result;
    }

    private void Record(SequencePosition consumed)
    {
        if (_paused)
        {
            return;
        }

        var bytes = _last.Slice(_last.Start, consumed);
        var count = (int)Math.Min(bytes.Length, MaxRecorded);
        if (count == 0)
        {
            return;
        }

        if (_length + count > MaxRecorded)
        {
            // Keep the newest bytes: the head is always the end of what was recorded.
            var keep = MaxRecorded - count;
            _recorded.AsSpan(_length - keep, keep).CopyTo(_recorded);
            _length = keep;
        }

        if (_recorded.Length < _length + count)
        {
            Array.Resize(ref _recorded, Math.Min(MaxRecorded, Math.Max(_length + count, Math.Max(1024, _recorded.Length * 2))));
        }

        bytes.Slice(bytes.Length - count).CopyTo(_recorded.AsSpan(_length));
        _length += count;
    }
}
