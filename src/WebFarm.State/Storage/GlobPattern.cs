namespace WebFarm.State.Storage;

/// <summary>Redis-style glob matching (*, ?, [a-z], [^x], backslash escapes) over bytes.</summary>
internal static class GlobPattern
{
    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, int depth = 0)
    {
        // Recursion is bounded to keep a hostile pattern like "*a*a*a*a..." from exhausting the stack.
        if (depth > 64)
        {
            return false;
        }

        while (pattern.Length > 0)
        {
            switch (pattern[0])
            {
                case (byte)'*':
                    while (pattern.Length > 1 && pattern[1] == '*')
                    {
                        pattern = pattern[1..];
                    }

                    if (pattern.Length == 1)
                    {
                        return true;
                    }

                    for (var i = 0; i <= text.Length; i++)
                    {
                        if (IsMatch(pattern[1..], text[i..], depth + 1))
                        {
                            return true;
                        }
                    }

                    return false;
                case (byte)'?':
                    if (text.Length == 0)
                    {
                        return false;
                    }

                    text = text[1..];
                    pattern = pattern[1..];
                    break;
                case (byte)'[':
                    {
                        if (text.Length == 0)
                        {
                            return false;
                        }

                        pattern = pattern[1..];
                        var negate = pattern.Length > 0 && pattern[0] == '^';
                        if (negate)
                        {
                            pattern = pattern[1..];
                        }

                        var matched = false;
                        while (pattern.Length > 0 && pattern[0] != ']')
                        {
                            if (pattern[0] == '\\' && pattern.Length > 1)
                            {
                                pattern = pattern[1..];
                                matched |= pattern[0] == text[0];
                                pattern = pattern[1..];
                            }
                            else if (pattern.Length > 2 && pattern[1] == '-' && pattern[2] != ']')
                            {
                                var lo = Math.Min(pattern[0], pattern[2]);
                                var hi = Math.Max(pattern[0], pattern[2]);
                                matched |= text[0] >= lo && text[0] <= hi;
                                pattern = pattern[3..];
                            }
                            else
                            {
                                matched |= pattern[0] == text[0];
                                pattern = pattern[1..];
                            }
                        }

                        if (pattern.Length > 0)
                        {
                            pattern = pattern[1..];
                        }

                        if (matched == negate)
                        {
                            return false;
                        }

                        text = text[1..];
                        break;
                    }

                case (byte)'\\' when pattern.Length > 1:
                    if (text.Length == 0 || text[0] != pattern[1])
                    {
                        return false;
                    }

                    text = text[1..];
                    pattern = pattern[2..];
                    break;
                default:
                    if (text.Length == 0 || text[0] != pattern[0])
                    {
                        return false;
                    }

                    text = text[1..];
                    pattern = pattern[1..];
                    break;
            }
        }

        return text.Length == 0;
    }
}
