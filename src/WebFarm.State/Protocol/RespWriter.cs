using System.Buffers;
using System.Text;

namespace WebFarm.State.Protocol;

/// <summary>
/// Writes RESP2 replies into a buffer writer (a connection's output pipe). A writer without a target
/// discards everything: that is how commands from the master link and the log replay run.
/// </summary>
internal sealed class RespWriter
{
    private IBufferWriter<byte>? _output;

    public RespWriter(IBufferWriter<byte>? output) => _output = output;

    /// <summary>Bytes written since the last <see cref="ResetPending"/>; lets a connection flush long pipelines in slices.</summary>
    public long Pending { get; private set; }

    public bool Discarding => _output is null;

    public void Redirect(IBufferWriter<byte>? output) => _output = output;

    public void ResetPending() => Pending = 0;

    public void Raw(ReadOnlySpan<byte> bytes)
    {
        if (_output is null)
        {
            return;
        }

        Pending += bytes.Length;
        while (!bytes.IsEmpty)
        {
            var span = _output.GetSpan(Math.Min(bytes.Length, 64 * 1024));
            var n = Math.Min(span.Length, bytes.Length);
            bytes[..n].CopyTo(span);
            _output.Advance(n);
            bytes = bytes[n..];
        }
    }

    public void Ok() => Raw("+OK\r\n"u8);

    public void Simple(string text)
    {
        if (_output is null)
        {
            return;
        }

        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetByteCount(text) + 3 <= buffer.Length ? buffer : new byte[Encoding.UTF8.GetByteCount(text) + 3];
        bytes[0] = (byte)'+';
        var n = Encoding.UTF8.GetBytes(text, bytes[1..]);
        bytes[n + 1] = (byte)'\r';
        bytes[n + 2] = (byte)'\n';
        Raw(bytes[..(n + 3)]);
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

        switch (value)
        {
            case 0:
                Raw(":0\r\n"u8);
                return;
            case 1:
                Raw(":1\r\n"u8);
                return;
        }

        Span<byte> buffer = stackalloc byte[24];
        buffer[0] = (byte)':';
        value.TryFormat(buffer[1..], out var n, provider: null);
        buffer[n + 1] = (byte)'\r';
        buffer[n + 2] = (byte)'\n';
        Raw(buffer[..(n + 3)]);
    }

    public void Bulk(ReadOnlySpan<byte> value)
    {
        if (_output is null)
        {
            return;
        }

        Header((byte)'$', value.Length);
        Raw(value);
        Raw("\r\n"u8);
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

    public void ArrayHeader(int count) => Header((byte)'*', count);

    private void Header(byte prefix, long count)
    {
        Span<byte> buffer = stackalloc byte[24];
        buffer[0] = prefix;
        count.TryFormat(buffer[1..], out var n, provider: null);
        buffer[n + 1] = (byte)'\r';
        buffer[n + 2] = (byte)'\n';
        Raw(buffer[..(n + 3)]);
    }
}
