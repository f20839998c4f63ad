namespace WebFarm.State.Storage;

/// <summary>
/// Redis-style glob matching over bytes, with the tokens of Redis's stringmatchlen: '*', '?', classes
/// ("[abc]", "[^a-z]", ranges in either order, "\]" inside a class, a class left open runs to the end of the
/// pattern), and backslash escapes (a trailing backslash is literal). As in Redis, an empty key matches only an
/// empty pattern.
/// </summary>
/// <remarks>
/// Non-backtracking: a mismatch resumes after the most recent '*' one byte further into the key, so the work is
/// at most (pattern length + 1) x (key length + 1) token steps. Backtracking into earlier stars is never needed:
/// the last star can absorb whatever an earlier one would have. The recursive matcher this replaces took
/// exponential time on "a*a*...*b" (20 stars: minutes; issue 11).
/// </remarks>
internal static class GlobPattern
{
    /// <summary>Longest pattern KEYS and SCAN accept. Work per key is pattern x key length, so the bound keeps one key's match short.</summary>
    public const int MaxLength = 4096;

    /// <summary>Redis-style error text when a pattern is over <see cref="MaxLength"/>, else null.</summary>
    public static string? CheckLength(ReadOnlySpan<byte> pattern)
        => pattern.Length <= MaxLength
            ? null
            : $"ERR pattern is {pattern.Length} bytes long; webfarm state accepts glob patterns of at most {MaxLength} bytes";

    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text) => IsMatch(pattern, text, out _);

    /// <param name="steps">Tokens compared, for tests of the bound.</param>
    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, out long steps)
    {
        steps = 0;
        if (text.IsEmpty)
        {
            return pattern.IsEmpty;
        }

        var p = 0;
        var t = 0;
        var starPattern = -1;
        var starText = 0;
        while (t < text.Length)
        {
            steps++;
            if (p < pattern.Length)
            {
                if (pattern[p] == '*')
                {
                    while (p < pattern.Length && pattern[p] == '*')
                    {
                        p++;
                    }

                    if (p == pattern.Length)
                    {
                        return true;
                    }

                    starPattern = p;
                    starText = t;
                    continue;
                }

                if (MatchToken(pattern, p, text[t], out var next))
                {
                    p = next;
                    t++;
                    continue;
                }
            }

            if (starPattern < 0)
            {
                return false;
            }

            // Let the last star absorb one more byte and retry the rest of the pattern from there.
            p = starPattern;
            t = ++starText;
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    /// <summary>Matches one non-star token at <paramref name="p"/> against <paramref name="c"/>; <paramref name="next"/> is where the next token starts.</summary>
    private static bool MatchToken(ReadOnlySpan<byte> pattern, int p, byte c, out int next)
    {
        switch (pattern[p])
        {
            case (byte)'?':
                next = p + 1;
                return true;
            case (byte)'[':
                return MatchClass(pattern, p + 1, c, out next);
            case (byte)'\\' when p + 1 < pattern.Length:
                next = p + 2;
                return pattern[p + 1] == c;
            default:
                next = p + 1;
                return pattern[p] == c;
        }
    }

    private static bool MatchClass(ReadOnlySpan<byte> pattern, int p, byte c, out int next)
    {
        var negate = p < pattern.Length && pattern[p] == '^';
        if (negate)
        {
            p++;
        }

        var matched = false;
        while (p < pattern.Length)
        {
            var b = pattern[p];
            if (b == '\\' && pattern.Length - p >= 2)
            {
                matched |= pattern[p + 1] == c;
                p += 2;
            }
            else if (b == ']')
            {
                p++;
                break;
            }
            else if (pattern.Length - p >= 3 && pattern[p + 1] == '-')
            {
                // As Redis: "z-a" is the same range as "a-z", and "a-]" is a range ending at ']'.
                var low = Math.Min(b, pattern[p + 2]);
                var high = Math.Max(b, pattern[p + 2]);
                matched |= c >= low && c <= high;
                p += 3;
            }
            else
            {
                matched |= b == c;
                p++;
            }
        }

        next = p;
        return matched != negate;
    }
}
