using System.Buffers.Text;
using System.Text;

namespace WebFarm.AspNetCore.Resp;

/// <summary>One reply from a RESP server. Bulk payloads are copied out of the socket buffer, so a value stays valid forever.</summary>
public readonly struct RespValue
{
    private readonly byte[]? _bytes;
    private readonly string? _text;
    private readonly RespValue[]? _items;

    private RespValue(RespValueKind kind, long integer, byte[]? bytes, string? text, RespValue[]? items)
    {
        Kind = kind;
        Integer = integer;
        _bytes = bytes;
        _text = text;
        _items = items;
    }

    /// <summary>The nil reply.</summary>
    public static RespValue Null => default;

    /// <summary>The reply type.</summary>
    public RespValueKind Kind { get; }

    /// <summary>The value of an <see cref="RespValueKind.Integer"/> reply (0 otherwise).</summary>
    public long Integer { get; }

    /// <summary>True for nil bulk strings and nil arrays.</summary>
    public bool IsNull => Kind == RespValueKind.Null;

    /// <summary>True for error replies.</summary>
    public bool IsError => Kind == RespValueKind.Error;

    /// <summary>The elements of an array reply (empty for other kinds).</summary>
    public IReadOnlyList<RespValue> Items => _items ?? [];

    /// <summary>The raw bytes of a bulk string reply (or the UTF-8 bytes of a simple string).</summary>
    public byte[]? AsBytes() => Kind switch
    {
        RespValueKind.BulkString => _bytes,
        RespValueKind.SimpleString or RespValueKind.Error => Encoding.UTF8.GetBytes(_text!),
        RespValueKind.Integer => Encoding.ASCII.GetBytes(Integer.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        _ => null,
    };

    /// <summary>The reply as text: bulk strings are decoded as UTF-8, integers formatted; null for nil and arrays.</summary>
    public string? AsString() => Kind switch
    {
        RespValueKind.BulkString => Encoding.UTF8.GetString(_bytes!),
        RespValueKind.SimpleString or RespValueKind.Error => _text,
        RespValueKind.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>The reply as an integer: integer replies directly, bulk/simple strings parsed as decimal.</summary>
    /// <exception cref="FormatException">The reply is not an integer.</exception>
    public long AsInt64()
    {
        if (Kind == RespValueKind.Integer)
        {
            return Integer;
        }

        if (Kind == RespValueKind.BulkString && Utf8Parser.TryParse(_bytes, out long parsed, out int consumed) && consumed == _bytes!.Length)
        {
            return parsed;
        }

        if (Kind == RespValueKind.SimpleString && long.TryParse(_text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out parsed))
        {
            return parsed;
        }

        throw new FormatException($"RESP {Kind} reply '{AsString()}' is not an integer.");
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        RespValueKind.Null => "(nil)",
        RespValueKind.Array => $"(array of {_items!.Length})",
        RespValueKind.Error => "(error) " + _text,
        _ => AsString() ?? string.Empty,
    };

    internal static RespValue Simple(string text) => new(RespValueKind.SimpleString, 0, null, text, null);

    internal static RespValue Error(string text) => new(RespValueKind.Error, 0, null, text, null);

    internal static RespValue FromInteger(long value) => new(RespValueKind.Integer, value, null, null, null);

    internal static RespValue Bulk(byte[] bytes) => new(RespValueKind.BulkString, 0, bytes, null, null);

    internal static RespValue FromArray(RespValue[] items) => new(RespValueKind.Array, 0, null, null, items);
}
