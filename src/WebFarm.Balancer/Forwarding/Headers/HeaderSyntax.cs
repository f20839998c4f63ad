using System.Buffers;

namespace WebFarm.Balancer.Forwarding.Headers;

/// <summary>
/// The one definition of what a header name and value may hold (RFC 9110 5.1, 5.5), in byte form for the raw paths
/// and char form for Kestrel's strings and the configuration. Everything that checks a token uses these sets.
/// </summary>
internal static class HeaderSyntax
{
    private const string TokenCharacters = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>RFC 9110 tchar, for methods and header names.</summary>
    public static readonly SearchValues<byte> TokenBytes = SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    private static readonly SearchValues<char> TokenChars = SearchValues.Create(TokenCharacters);

    /// <summary>Bytes no field value may hold: control characters other than HTAB, and DEL. obs-text (0x80-0xFF) is allowed.</summary>
    public static readonly SearchValues<byte> InvalidValueBytes = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000A\u000B\u000C\u000D\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F"u8);

    /// <summary>CR, LF and NUL: a value holding one could split headers downstream (response splitting).</summary>
    public static readonly SearchValues<byte> UnsafeValueBytes = SearchValues.Create("\r\n\0"u8);

    private static readonly SearchValues<char> UnsafeValueChars = SearchValues.Create("\r\n\0");

    public static bool IsToken(ReadOnlySpan<byte> s) => !s.IsEmpty && !s.ContainsAnyExcept(TokenBytes);

    public static bool IsToken(ReadOnlySpan<char> s) => !s.IsEmpty && !s.ContainsAnyExcept(TokenChars);

    public static bool IsToken(string? s) => s is not null && IsToken(s.AsSpan());

    public static bool HasUnsafeBytes(ReadOnlySpan<byte> value) => value.ContainsAny(UnsafeValueBytes);

    public static bool HasUnsafeChars(string? value) => value is not null && value.AsSpan().ContainsAny(UnsafeValueChars);

    /// <summary>
    /// True when a line ends in LF without CR before it: readers disagree on where such lines end, so a head holding
    /// one is never served as it is (refused, or left for Kestrel to judge).
    /// </summary>
    public static bool HasBareLineFeed(ReadOnlySpan<byte> data)
    {
        for (var at = data.IndexOf((byte)'\n'); at >= 0; at = data.IndexOf((byte)'\n'))
        {
            if (at == 0 || data[at - 1] != (byte)'\r')
            {
                return true;
            }

            data = data[(at + 1)..];
        }

        return false;
    }

    /// <summary>Optional whitespace (SP, HTAB) trimmed from both ends.</summary>
    public static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> value) => TrimWhitespace(value, out _);

    /// <summary>Optional whitespace (SP, HTAB) trimmed from both ends; <paramref name="leading"/> is how much went from the start.</summary>
    /// <remarks>
    /// A scalar loop because header values are short and seldom padded: <c>span.Trim(" \t"u8)</c> runs a vectorised
    /// search of the two-byte set for every byte it looks at, at least two per value, and those searches were 1% of the
    /// front end's CPU per proxied request (perf, bench/balancer/run.sh PROFILE=1, docs/benchmarks.md).
    /// </remarks>
    public static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> value, out int leading)
    {
        var start = 0;
        while (start < value.Length && value[start] is (byte)' ' or (byte)'\t')
        {
            start++;
        }

        var end = value.Length;
        while (end > start && value[end - 1] is (byte)' ' or (byte)'\t')
        {
            end--;
        }

        leading = start;
        return value[start..end];
    }
}
