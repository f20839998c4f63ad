using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace WebFarm.State.Protocol;

/// <summary>
/// Writes RESP2 replies into a buffer writer (a connection's output pipe). A writer without a target
/// discards everything: that is how commands from the master link and the log replay run.
/// </summary>
/// <remarks>
/// Replies are written straight into a window of the output's memory, which is handed to the output only
/// by <see cref="Commit"/>: one GetMemory/Advance pair per batch of pipelined replies instead of one per
/// reply fragment (measured in bench/state: the per-fragment pipe calls were ~10% of the server's CPU with
/// <c>-P 16</c>). The rule that follows: call <see cref="Commit"/> before flushing the output or writing to it
/// any other way; <see cref="Redirect"/> commits by itself.
/// </remarks>
internal sealed class RespWriter
{
    /// <summary>Values at least this large are handed to the output directly instead of through the window.</summary>
    private const int DirectBytes = 2048;

    /// <summary>Longest header a reply writes before its payload: prefix, a long in decimal, CRLF.</summary>
    private const int MaxHeaderBytes = 24;

    private IBufferWriter<byte>? _output;

    // The window: _window[_start.._end) belongs to us until Commit; _position is where the next byte goes.
    // When the output's memory is not array-backed, the window is a private array copied out at Commit.
    private byte[] _window = [];
    private int _start;
    private int _position;
    private int _end;
    private bool _windowIsPrivate;

    public RespWriter(IBufferWriter<byte>? output) => _output = output;

    /// <summary>Bytes written since the last <see cref="ResetPending"/>; lets a connection flush long pipelines in slices.</summary>
    public long Pending { get; private set; }

    public bool Discarding => _output is null;

    /// <summary>Hands everything written so far to the output (without flushing it) and points the writer at <paramref name="output"/>.</summary>
    public void Redirect(IBufferWriter<byte>? output)
    {
        Commit();
        _output = output;
    }

    public void ResetPending() => Pending = 0;

    /// <summary>Hands the bytes written since the last commit to the output. Call before flushing it.</summary>
    public void Commit()
    {
        var written = _position - _start;
        if (_output is null || _end == 0)
        {
            return;
        }

        if (_windowIsPrivate)
        {
            _output.Write(_window.AsSpan(_start, written));
        }
        else if (written > 0)
        {
            _output.Advance(written);
        }
        else
        {
            // Nothing written: the output's memory was only looked at, which needs no Advance.
        }

        _window = [];
        _start = _position = _end = 0;
        _windowIsPrivate = false;
    }

    /// <remarks>Inlined so that a literal reply ("+OK\r\n"u8) is copied with a few constant-size moves, not a Memmove call.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Raw(ReadOnlySpan<byte> bytes)
    {
        if (_output is null)
        {
            return;
        }

        if (bytes.Length >= DirectBytes || _end - _position < bytes.Length)
        {
            RawSlow(bytes);
            return;
        }

        bytes.CopyTo(_window.AsSpan(_position));
        Wrote(bytes.Length);
    }

    public void Ok() => Raw("+OK\r\n"u8);

    public void Simple(string text)
    {
        if (_output is null)
        {
            return;
        }

        var length = Encoding.UTF8.GetByteCount(text) + 3;
        if (length >= DirectBytes)
        {
            WriteDirect(Encoding.UTF8.GetBytes("+" + text + "\r\n"));
            return;
        }

        var span = Reserve(length);
        span[0] = (byte)'+';
        var n = Encoding.UTF8.GetBytes(text, span[1..]);
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        Wrote(n + 3);
    }

    /// <summary>Writes an error; the text must start with its code (ERR, WRONGTYPE, ...). Newlines would break framing, so they become spaces.</summary>
    public void Error(string message)
    {
        if (_output is null)
        {
            return;
        }

        var text = "-" + message.Replace('\r', ' ').Replace('\n', ' ') + "\r\n";
        Raw(Encoding.UTF8.GetBytes(text));
    }

    public void Integer(long value)
    {
        if (_output is null)
        {
            return;
        }

        var span = Reserve(MaxHeaderBytes);
        Wrote(WriteHeader(span, (byte)':', value));
    }

    public void Bulk(ReadOnlySpan<byte> value)
    {
        if (_output is null)
        {
            return;
        }

        if (value.Length >= DirectBytes)
        {
            var header = Reserve(MaxHeaderBytes);
            Wrote(WriteHeader(header, (byte)'$', value.Length));
            WriteDirect(value);
            Raw("\r\n"u8);
            return;
        }

        // Header, value and CRLF in one reservation: the common reply of GET/HGET is a single copy.
        var span = Reserve(MaxHeaderBytes + value.Length + 2);
        var n = WriteHeader(span, (byte)'$', value.Length);
        value.CopyTo(span[n..]);
        n += value.Length;
        span[n] = (byte)'\r';
        span[n + 1] = (byte)'\n';
        Wrote(n + 2);
    }

    public void Bulk(string value) => Bulk(Encoding.UTF8.GetBytes(value));

    public void BulkInteger(long value)
    {
        Span<byte> buffer = stackalloc byte[20];
        value.TryFormat(buffer, out var n, provider: null);
        Bulk(buffer[..n]);
    }

    public void NullBulk() => Raw("$-1\r\n"u8);

    public void NullArray() => Raw("*-1\r\n"u8);

    public void EmptyArray() => Raw("*0\r\n"u8);

    public void ArrayHeader(int count)
    {
        if (_output is null)
        {
            return;
        }

        var span = Reserve(MaxHeaderBytes);
        Wrote(WriteHeader(span, (byte)'*', count));
    }

    /// <summary>Writes prefix, decimal value and CRLF; returns the bytes written (at most <see cref="MaxHeaderBytes"/>).</summary>
    private static int WriteHeader(Span<byte> span, byte prefix, long value)
    {
        span[0] = prefix;
        int n;
        if ((ulong)value < 10)
        {
            span[1] = (byte)('0' + value);
            n = 1;
        }
        else
        {
            value.TryFormat(span[1..], out n, provider: null);
        }

        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        return n + 3;
    }

    /// <summary>A span of at least <paramref name="size"/> bytes at the write position (<paramref name="size"/> &lt; <see cref="DirectBytes"/> + 32).</summary>
    private Span<byte> Reserve(int size)
    {
        if (_end - _position < size)
        {
            NextWindow(size);
        }

        return _window.AsSpan(_position, _end - _position);
    }

    private void Wrote(int count)
    {
        _position += count;
        Pending += count;
    }

    private void NextWindow(int size)
    {
        Commit();
        var memory = _output!.GetMemory(size);
        if (MemoryMarshal.TryGetArray<byte>(memory, out var segment))
        {
            _window = segment.Array!;
            _start = _position = segment.Offset;
            _end = segment.Offset + segment.Count;
        }
        else
        {
            _window = new byte[Math.Max(size, 4096)];
            _start = _position = 0;
            _end = _window.Length;
            _windowIsPrivate = true;
        }
    }

    private void RawSlow(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= DirectBytes)
        {
            WriteDirect(bytes);
            return;
        }

        var span = Reserve(bytes.Length);
        bytes.CopyTo(span);
        Wrote(bytes.Length);
    }

    private void WriteDirect(ReadOnlySpan<byte> bytes)
    {
        Commit();
        _output!.Write(bytes);
        Pending += bytes.Length;
    }
}
