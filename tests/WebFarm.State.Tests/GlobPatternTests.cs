using System.Text;
using WebFarm.State.Storage;

namespace WebFarm.State.Tests;

/// <summary>
/// The glob matcher against a reference written here from Redis's stringmatchlen rules (a memoised recursive
/// matcher: obviously right, too slow for the server), on thousands of random patterns and keys, plus the
/// patterns that used to take exponential time.
/// </summary>
public sealed class GlobPatternTests
{
    [Theory]
    [InlineData("*", "abc", true)]
    [InlineData("*", "", false)] // Redis: an empty key matches only the empty pattern
    [InlineData("", "", true)]
    [InlineData("a*", "a", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[c-a]x", "bx", true)] // reversed range
    [InlineData("[^a-c]x", "bx", false)]
    [InlineData("[^a-c]x", "dx", true)]
    [InlineData("[!a]", "!", true)] // '!' is not a negation in Redis, just a member of the class
    [InlineData("[!a]", "b", false)]
    [InlineData("[]", "a", false)]
    [InlineData("[^]", "a", true)]
    [InlineData("[a\\]]", "]", true)]
    [InlineData("[a-]", "]", true)] // Redis reads "a-]" as the range a..] (and the class runs to the end)
    [InlineData("[abc", "b", true)] // an unterminated class ends at the end of the pattern
    [InlineData("\\*", "*", true)]
    [InlineData("\\*", "a", false)]
    [InlineData("a\\", "a\\", true)] // a trailing backslash is literal
    [InlineData("h*llo", "heeeello", true)]
    [InlineData("h*llo", "hello!", false)]
    [InlineData("*a*a*b", "aaaab", true)]
    public void Matches_like_redis(string pattern, string key, bool expected)
    {
        Assert.Equal(expected, GlobPattern.IsMatch(Encoding.ASCII.GetBytes(pattern), Encoding.ASCII.GetBytes(key)));
        Assert.Equal(expected, Reference.IsMatch(Encoding.ASCII.GetBytes(pattern), Encoding.ASCII.GetBytes(key)));
    }

    [Fact]
    public void Agrees_with_the_reference_on_random_patterns_and_keys()
    {
        // A small alphabet makes matches, classes, ranges and escapes collide often.
        var random = new Random(20261206);
        const string patternAlphabet = "aabb***??[]^-\\!";
        const string keyAlphabet = "aaabbb]-\\^!*";
        var matches = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var pattern = RandomBytes(random, patternAlphabet, random.Next(0, 10));
            var key = RandomBytes(random, keyAlphabet, random.Next(0, 10));
            var expected = Reference.IsMatch(pattern, key);
            matches += expected ? 1 : 0;
            Assert.True(
                expected == GlobPattern.IsMatch(pattern, key),
                $"pattern '{Encoding.ASCII.GetString(pattern)}' key '{Encoding.ASCII.GetString(key)}': expected {expected}");
        }

        // Not a vacuous run: a good share of the cases must actually match.
        Assert.InRange(matches, 1000, 19_000);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(20)]
    [InlineData(40)]
    public async Task Many_stars_do_not_take_exponential_time(int stars)
    {
        // Issue 11: "a*a*...*b" against 40 a's never returned. The run is bounded by the step count of the
        // linear algorithm, asserted by count; the timeout only guards against a hang.
        var key = Encoding.ASCII.GetBytes(new string('a', 40));
        var pattern = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a*", stars)) + "b");
        var result = await Task.Run(() => GlobPattern.IsMatch(pattern, key));
        Assert.False(result);
        Assert.True(GlobPattern.IsMatch(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a*", stars))), Encoding.ASCII.GetBytes(new string('a', 40 + stars))));
    }

    [Fact]
    public void The_work_is_bounded_by_pattern_times_key_length()
    {
        var key = Encoding.ASCII.GetBytes(new string('a', 2000));
        var pattern = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a*", 500)) + "b");
        Assert.False(GlobPattern.IsMatch(pattern, key, out var steps));
        Assert.True(steps <= (long)(pattern.Length + 1) * (key.Length + 1), $"{steps} steps");
    }

    [Fact]
    public void Patterns_longer_than_the_bound_are_refused_with_a_reason()
    {
        Assert.Null(GlobPattern.CheckLength(new byte[GlobPattern.MaxLength]));
        var error = GlobPattern.CheckLength(new byte[GlobPattern.MaxLength + 1]);
        Assert.Equal($"ERR pattern is {GlobPattern.MaxLength + 1} bytes long; webfarm state accepts glob patterns of at most {GlobPattern.MaxLength} bytes", error);
    }

    private static byte[] RandomBytes(Random random, string alphabet, int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)alphabet[random.Next(alphabet.Length)];
        }

        return bytes;
    }

    /// <summary>
    /// Redis's rules, written as the definition: tokens ('*', '?', a class, an escaped or plain byte) parsed as
    /// stringmatchlen parses them; '*' matches any run; an empty key matches only an empty pattern. Memoised on
    /// (pattern position, key position), so exponential patterns stay cheap here too.
    /// </summary>
    private static class Reference
    {
        public static bool IsMatch(byte[] pattern, byte[] key)
        {
            if (key.Length == 0)
            {
                return pattern.Length == 0;
            }

            var memo = new Dictionary<(int, int), bool>();
            return Match(pattern, 0, key, 0, memo);
        }

        private static bool Match(byte[] p, int pi, byte[] s, int si, Dictionary<(int, int), bool> memo)
        {
            if (memo.TryGetValue((pi, si), out var known))
            {
                return known;
            }

            bool result;
            if (pi == p.Length)
            {
                result = si == s.Length;
            }
            else if (p[pi] == '*')
            {
                result = Match(p, pi + 1, s, si, memo) || (si < s.Length && Match(p, pi, s, si + 1, memo));
            }
            else if (si == s.Length)
            {
                result = false;
            }
            else
            {
                var (matches, next) = Token(p, pi, s[si]);
                result = matches && Match(p, next, s, si + 1, memo);
            }

            memo[(pi, si)] = result;
            return result;
        }

        private static (bool Matches, int Next) Token(byte[] p, int i, byte c)
        {
            switch (p[i])
            {
                case (byte)'?':
                    return (true, i + 1);
                case (byte)'\\' when i + 1 < p.Length:
                    return (p[i + 1] == c, i + 2);
                case (byte)'[':
                    {
                        i++;
                        var negate = i < p.Length && p[i] == '^';
                        if (negate)
                        {
                            i++;
                        }

                        var found = false;
                        while (true)
                        {
                            if (i == p.Length)
                            {
                                break;
                            }

                            if (p[i] == '\\' && p.Length - i >= 2)
                            {
                                found |= p[i + 1] == c;
                                i += 2;
                            }
                            else if (p[i] == ']')
                            {
                                i++;
                                break;
                            }
                            else if (p.Length - i >= 3 && p[i + 1] == '-')
                            {
                                var lo = Math.Min(p[i], p[i + 2]);
                                var hi = Math.Max(p[i], p[i + 2]);
                                found |= c >= lo && c <= hi;
                                i += 3;
                            }
                            else
                            {
                                found |= p[i] == c;
                                i++;
                            }
                        }

                        return (found != negate, i);
                    }

                default:
                    return (p[i] == c, i + 1);
            }
        }
    }
}
