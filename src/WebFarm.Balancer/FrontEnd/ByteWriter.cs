using System.Text;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>Appends bytes to a span sized beforehand (a pipe's buffer or the upstream head's array); the caller checks the room.</summary>
internal ref struct ByteWriter(Span<byte> destination)
{
    private readonly Span<byte> _destination = destination;

    public int Written { get; private set; }

    public void Write(scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_destination[Written..]);
        Written += bytes.Length;
    }

    public void Write(byte value) => _destination[Written++] = value;

    /// <summary>ASCII text (header names the balancer knows, request ids, host names from configuration).</summary>
    public void WriteAscii(string text)
    {
        Written += Encoding.ASCII.GetBytes(text, _destination[Written..]);
    }

    public void WriteDecimal(long value)
    {
        value.TryFormat(_destination[Written..], out var written);
        Written += written;
    }

    public void WriteHex(int value)
    {
        value.TryFormat(_destination[Written..], out var written, "x");
        Written += written;
    }

    public void WriteField(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> value)
    {
        Write(name);
        Write(": "u8);
        Write(value);
        Write("\r\n"u8);
    }
}
