using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace WebFarm.AspNetCore.Resp;

/// <summary>
/// Incremental RESP2 reply parser: returns false (consuming nothing) until a whole reply is buffered,
/// so the read loop can simply wait for more bytes.
/// </summary>
internal static class RespParser
{
    // A server line (status, error, length header) longer than this without CRLF is not RESP.
    private const int MaxLineLength = 64 * 1024;
    private const int MaxBulkLength = 512 * 1024 * 1024;
    private const int MaxArrayLength = 64 * 1024 * 1024;
    private const int MaxDepth = 32;

    public static bool TryParse(ref ReadOnlySequence<byte> buffer, out RespValue value)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!TryRead(ref reader, 0, out value))
        {
            value = default;
            return false;
        }

        buffer = buffer.Slice(reader.Position);
        return true;
    }

    private static bool TryRead(ref SequenceReader<byte> reader, int depth, out RespValue value)
    {
        value = default;
        if (!reader.TryRead(out byte prefix))
        {
            return false;
        }

        if (!reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
        {
            if (reader.Remaining > MaxLineLength)
            {
                throw new RespProtocolException($"RESP reply line longer than {MaxLineLength} bytes without CRLF.");
            }

            return false;
        }

        switch (prefix)
        {
            case (byte)'+':
                value = RespValue.Simple(Encoding.UTF8.GetString(line));
                return true;
            case (byte)'-':
                value = RespValue.Error(Encoding.UTF8.GetString(line));
                return true;
            case (byte)':':
                value = RespValue.FromInteger(ParseInteger(line, "integer"));
                return true;
            case (byte)'$':
                return TryReadBulk(ref reader, ParseInteger(line, "bulk length"), out value);
            case (byte)'*':
                return TryReadArray(ref reader, ParseInteger(line, "array length"), depth, out value);
            default:
                throw new RespProtocolException($"Unexpected RESP type byte 0x{prefix:X2} ('{(char)prefix}'); the server does not speak RESP2.");
        }
    }

    private static bool TryReadBulk(ref SequenceReader<byte> reader, long length, out RespValue value)
    {
        value = default;
        if (length == -1)
        {
            return true;
        }

        if (length < 0 || length > MaxBulkLength)
        {
            throw new RespProtocolException($"Invalid RESP bulk length {length}.");
        }

        if (reader.Remaining < length + 2)
        {
            return false;
        }

        var bytes = new byte[length];
        reader.TryCopyTo(bytes);
        reader.Advance(length);
        if (!reader.IsNext("\r\n"u8, advancePast: true))
        {
            throw new RespProtocolException("RESP bulk string not terminated by CRLF.");
        }

        value = RespValue.Bulk(bytes);
        return true;
    }

    private static bool TryReadArray(ref SequenceReader<byte> reader, long count, int depth, out RespValue value)
    {
        value = default;
        if (count == -1)
        {
            return true;
        }

        if (count < 0 || count > MaxArrayLength)
        {
            throw new RespProtocolException($"Invalid RESP array length {count}.");
        }

        if (depth >= MaxDepth)
        {
            throw new RespProtocolException($"RESP arrays nested deeper than {MaxDepth}.");
        }

        // Do not trust the count for the allocation before the elements are actually buffered.
        var items = count == 0 ? [] : new RespValue[Math.Min(count, reader.Remaining)];
        if (items.Length < count)
        {
            return false;
        }

        for (int i = 0; i < items.Length; i++)
        {
            if (!TryRead(ref reader, depth + 1, out items[i]))
            {
                return false;
            }
        }

        value = RespValue.FromArray(items);
        return true;
    }

    private static long ParseInteger(ReadOnlySequence<byte> line, string what)
    {
        Span<byte> scratch = stackalloc byte[24];
        if (line.Length == 0 || line.Length > scratch.Length)
        {
            throw new RespProtocolException($"Invalid RESP {what}: {line.Length} bytes.");
        }

        line.CopyTo(scratch);
        var digits = scratch[..(int)line.Length];
        if (!Utf8Parser.TryParse(digits, out long parsed, out int consumed) || consumed != digits.Length)
        {
            throw new RespProtocolException($"Invalid RESP {what} '{Encoding.ASCII.GetString(digits)}'.");
        }

        return parsed;
    }
}
