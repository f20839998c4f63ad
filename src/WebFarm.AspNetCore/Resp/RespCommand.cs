using System.Buffers;
using System.Buffers.Text;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace WebFarm.AspNetCore.Resp;

/// <summary>
/// A command encoded once, at creation, into its RESP wire form (an array of bulk strings), so the
/// connection's writer only copies bytes and a command can be retried on another connection unchanged.
/// </summary>
public sealed class RespCommand
{
    // Commands whose first argument is not a key: a cluster routes them to any master instead of by slot.
    private static readonly FrozenSet<string> Keyless = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "PING", "ECHO", "AUTH", "HELLO", "ROLE", "INFO", "CLUSTER", "ASKING", "READONLY", "READWRITE", "WAIT", "SELECT",
        "QUIT", "FLUSHALL", "FLUSHDB", "DBSIZE", "KEYS", "SCAN", "MULTI", "EXEC", "DISCARD", "TIME", "CONFIG", "CLIENT",
        "COMMAND", "PUBLISH", "SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SCRIPT", "FUNCTION", "MEMORY",
        "SLOWLOG", "LATENCY", "DEBUG", "SAVE", "BGSAVE", "LASTSAVE", "REPLICAOF", "SLAVEOF", "SHUTDOWN", "RESET", "UNWATCH",
        "RANDOMKEY", "SWAPDB", "MONITOR", "ACL", "MODULE", "FAILOVER", "PUBSUB", "SPUBLISH", "SSUBSCRIBE", "SUNSUBSCRIBE");

    private RespCommand(string name, byte[] payload, int keyOffset, int keyLength)
    {
        Name = name;
        Payload = payload;
        KeyOffset = keyOffset;
        KeyLength = keyLength;
    }

    /// <summary>The command name (first argument), used in errors and logs.</summary>
    public string Name { get; }

    internal ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Where the first key's bytes start in <see cref="Payload"/>; -1 for a command without a key.</summary>
    internal int KeyOffset { get; }

    internal int KeyLength { get; }

    /// <summary>The first key's bytes (empty for a command without a key): what a cluster hashes to route it.</summary>
    internal ReadOnlySpan<byte> Key => KeyOffset < 0 ? default : Payload.Span.Slice(KeyOffset, KeyLength);

    internal bool HasKey => KeyOffset >= 0;

    /// <summary>
    /// Encodes a command. Arguments may be <see cref="string"/> (UTF-8), <see cref="byte"/>[],
    /// <see cref="ReadOnlyMemory{T}"/> of bytes, <see cref="int"/>, <see cref="long"/> or <see cref="double"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An argument is null or of an unsupported type.</exception>
    public static RespCommand Create(string name, params ReadOnlySpan<object> args)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var writer = new ArrayBufferWriter<byte>(64);
        WriteHeader(writer, (byte)'*', args.Length + 1);
        WriteBulk(writer, Encoding.UTF8.GetBytes(name));
        bool keyed = args.Length > 0 && !Keyless.Contains(name);
        int keyOffset = -1;
        int keyLength = 0;
        for (int i = 0; i < args.Length; i++)
        {
            int before = writer.WrittenCount;
            switch (args[i])
            {
                case string s:
                    WriteBulk(writer, Encoding.UTF8.GetBytes(s));
                    break;
                case byte[] b:
                    WriteBulk(writer, b);
                    break;
                case ReadOnlyMemory<byte> m:
                    WriteBulk(writer, m.Span);
                    break;
                case long l:
                    WriteInteger(writer, l);
                    break;
                case int n:
                    WriteInteger(writer, n);
                    break;
                case double d:
                    WriteBulk(writer, Encoding.ASCII.GetBytes(d.ToString("R", CultureInfo.InvariantCulture)));
                    break;
                case null:
                    throw new ArgumentException($"Argument {i + 1} of RESP command {name} is null.", nameof(args));
                default:
                    throw new ArgumentException($"Argument {i + 1} of RESP command {name} has unsupported type {args[i].GetType().Name}; use string, byte[], ReadOnlyMemory<byte>, int, long or double.", nameof(args));
            }

            if (i == 0 && keyed)
            {
                // The bulk just written is "$<length>\r\n<key>\r\n": the key sits between the header and the CRLF.
                var written = writer.WrittenSpan[before..];
                int header = written.IndexOf((byte)'\n') + 1;
                keyOffset = before + header;
                keyLength = written.Length - header - 2;
            }
        }

        return new RespCommand(name, writer.WrittenSpan.ToArray(), keyOffset, keyLength);
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static void WriteInteger(ArrayBufferWriter<byte> writer, long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out int length);
        WriteBulk(writer, digits[..length]);
    }

    private static void WriteBulk(ArrayBufferWriter<byte> writer, ReadOnlySpan<byte> value)
    {
        WriteHeader(writer, (byte)'$', value.Length);
        writer.Write(value);
        writer.Write("\r\n"u8);
    }

    private static void WriteHeader(ArrayBufferWriter<byte> writer, byte prefix, int length)
    {
        Span<byte> span = writer.GetSpan(16);
        span[0] = prefix;
        Utf8Formatter.TryFormat(length, span[1..], out int written);
        span[written + 1] = (byte)'\r';
        span[written + 2] = (byte)'\n';
        writer.Advance(written + 3);
    }
}
