namespace WebFarm.Balancer.Affinity;

/// <summary>Reads one cookie out of Cookie header values ("a=1; b=2") without allocating; the rule both clients share.</summary>
internal static class CookieHeader
{
    /// <summary>
    /// Finds <paramref name="name"/> in one Cookie header value and returns its value (quotes removed), or -1 when
    /// absent. The value is copied into <paramref name="destination"/>; a longer value counts as absent.
    /// </summary>
    public static int Find<TChar>(ReadOnlySpan<TChar> header, string name, Span<char> destination)
        where TChar : unmanaged, IEquatable<TChar>, IConvertible
    {
        var rest = header;
        while (!rest.IsEmpty)
        {
            var semicolon = IndexOf(rest, ';');
            var pair = Trim(semicolon < 0 ? rest : rest[..semicolon]);
            rest = semicolon < 0 ? default : rest[(semicolon + 1)..];
            if (pair.Length > name.Length && Is(pair[name.Length], '=') && StartsWith(pair, name))
            {
                var value = Trim(pair[(name.Length + 1)..]);
                if (value.Length >= 2 && Is(value[0], '"') && Is(value[^1], '"'))
                {
                    value = value[1..^1];
                }

                if (value.Length > destination.Length)
                {
                    return -1;
                }

                for (var i = 0; i < value.Length; i++)
                {
                    destination[i] = (char)value[i].ToUInt16(null);
                }

                return value.Length;
            }
        }

        return -1;
    }

    private static bool Is<TChar>(TChar c, char expected)
        where TChar : unmanaged, IConvertible => c.ToUInt16(null) == expected;

    private static int IndexOf<TChar>(ReadOnlySpan<TChar> span, char c)
        where TChar : unmanaged, IConvertible
    {
        for (var i = 0; i < span.Length; i++)
        {
            if (Is(span[i], c))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool StartsWith<TChar>(ReadOnlySpan<TChar> span, string prefix)
        where TChar : unmanaged, IConvertible
    {
        for (var i = 0; i < prefix.Length; i++)
        {
            if (!Is(span[i], prefix[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static ReadOnlySpan<TChar> Trim<TChar>(ReadOnlySpan<TChar> span)
        where TChar : unmanaged, IConvertible
    {
        var start = 0;
        var end = span.Length;
        while (start < end && (Is(span[start], ' ') || Is(span[start], '\t')))
        {
            start++;
        }

        while (end > start && (Is(span[end - 1], ' ') || Is(span[end - 1], '\t')))
        {
            end--;
        }

        return span[start..end];
    }
}
