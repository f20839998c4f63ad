using WebFarm.State.Protocol;
using WebFarm.State.Storage;

namespace WebFarm.State.Commands;

/// <summary>
/// The options SCAN and HSCAN share — [MATCH pattern] [COUNT count], and SCAN's [TYPE type] — read by one rule:
/// name/value pairs in any order, the last of each winning, as Redis does. The pattern stays in the arguments
/// (<see cref="PatternArg"/>) because they are only borrowed for the command's duration.
/// </summary>
internal readonly struct ScanOptions
{
    /// <summary>The argument index of MATCH's pattern, or -1 when every key or field matches (no MATCH, or MATCH *).</summary>
    public int PatternArg { get; private init; }

    public long Count { get; private init; }

    /// <summary>The <see cref="ValueKind"/> TYPE asks for, int.MaxValue for a type this server never holds, -1 for none.</summary>
    public int TypeFilter { get; private init; }

    /// <summary>Reads the options from argument <paramref name="first"/> on; returns the Redis error text, or null.</summary>
    public static string? Parse(scoped CommandArgs a, int first, bool allowType, out ScanOptions options)
    {
        options = new ScanOptions { PatternArg = -1, Count = 10, TypeFilter = -1 };
        for (var i = first; i < a.Count; i += 2)
        {
            if (i + 1 >= a.Count)
            {
                return ErrorReplies.Syntax;
            }

            var value = a[i + 1];
            if (Text.Is(a[i], "MATCH"u8))
            {
                if (GlobPattern.CheckLength(value) is { } tooLong)
                {
                    return tooLong;
                }

                options = options with { PatternArg = value.Length == 1 && value[0] == '*' ? -1 : i + 1 };
            }
            else if (Text.Is(a[i], "COUNT"u8))
            {
                if (!Text.TryLong(value, out var count))
                {
                    return ErrorReplies.NotInteger;
                }

                if (count < 1)
                {
                    return ErrorReplies.Syntax;
                }

                options = options with { Count = count };
            }
            else if (allowType && Text.Is(a[i], "TYPE"u8))
            {
                var type = Text.Is(value, "STRING"u8) ? (int)ValueKind.String : Text.Is(value, "HASH"u8) ? (int)ValueKind.Hash : int.MaxValue;
                options = options with { TypeFilter = type };
            }
            else
            {
                return ErrorReplies.Syntax;
            }
        }

        return null;
    }
}
