using System.Buffers;
using System.Text;

namespace WebFarm.State.Protocol;

/// <summary>Encodes commands as RESP multibulk (for the append-only log, the replication stream and the replica handshake).</summary>
internal static class RespEncoder
{
    public static void WriteHeader(IBufferWriter<byte> output, int count) => WritePrefixed(output, (byte)'*', count);

    public static void WriteBulk(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        WritePrefixed(output, (byte)'$', value.Length);
        output.Write(value);
        output.Write("\r\n"u8);
    }

    public static void WriteBulk(IBufferWriter<byte> output, long value)
    {
        Span<byte> buffer = stackalloc byte[20];
        value.TryFormat(buffer, out var n, provider: null);
        WriteBulk(output, buffer[..n]);
    }

    public static byte[] Command(params string[] args)
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteHeader(buffer, args.Length);
        foreach (var arg in args)
        {
            WriteBulk(buffer, Encoding.UTF8.GetBytes(arg));
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WritePrefixed(IBufferWriter<byte> output, byte prefix, long count)
    {
        Span<byte> buffer = stackalloc byte[24];
        buffer[0] = prefix;
        count.TryFormat(buffer[1..], out var n, provider: null);
        buffer[n + 1] = (byte)'\r';
        buffer[n + 2] = (byte)'\n';
        output.Write(buffer[..(n + 3)]);
    }
}
