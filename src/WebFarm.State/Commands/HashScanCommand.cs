using WebFarm.State.Protocol;
using WebFarm.State.Storage;

namespace WebFarm.State.Commands;

/// <summary>
/// HSCAN key cursor [MATCH pattern] [COUNT count]. A hash of up to <see cref="WholeHashFields"/> fields is
/// returned in one reply with cursor 0, as Redis does for its compact (listpack) hashes. A bigger hash is
/// walked in the order of the fields' hash codes and the cursor is "the next hash code to visit + 1", so every field
/// present for the whole scan is returned at least once whatever is added or removed in between (fields
/// sharing a hash code are returned together, so COUNT may be exceeded, as SCAN allows). Each call costs
/// O(fields × log fields): fine for session-sized hashes, and a client scanning a huge hash should pass a
/// large COUNT.
/// </summary>
internal static class HashScanCommand
{
    /// <summary>Redis's hash-max-listpack-entries default.</summary>
    private const int WholeHashFields = 128;

    public static void Register(CommandTable table) => table.Add("hscan", -3, CommandFlags.ReadOnly, 1, 1, 1, HScan);

    private static void HScan(ClientSession c, scoped CommandArgs a)
    {
        if (!TryParseCursor(a[2], out var cursor))
        {
            c.Reply.Error(ErrorReplies.InvalidCursor);
            return;
        }

        // Redis answers a missing key before it looks at the options.
        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (entry is null)
        {
            Reply(c, 0, []);
            return;
        }

        if (entry.Value is not HashValue hash)
        {
            c.Reply.Error(ErrorReplies.WrongType);
            return;
        }

        if (ScanOptions.Parse(a, 3, allowType: false, out var options) is { } error)
        {
            c.Reply.Error(error);
            return;
        }

        List<KeyValuePair<byte[], byte[]>> page;
        if (hash.Count <= WholeHashFields)
        {
            // Whatever the cursor, like Redis for a compact hash.
            page = [.. hash.Fields];
            cursor = 0;
        }
        else if (cursor > uint.MaxValue + 1UL)
        {
            // Past the last hash code (a cursor we never handed out): nothing is left.
            page = [];
            cursor = 0;
        }
        else
        {
            page = Page(hash, cursor, options.Count, out cursor);
        }

        if (options.PatternArg >= 0)
        {
            var pattern = a[options.PatternArg];
            var matching = new List<KeyValuePair<byte[], byte[]>>(page.Count);
            foreach (var pair in page)
            {
                if (GlobPattern.IsMatch(pattern, pair.Key))
                {
                    matching.Add(pair);
                }
            }

            page = matching;
        }

        Reply(c, cursor, page);
    }

    private static List<KeyValuePair<byte[], byte[]>> Page(HashValue hash, ulong cursor, long count, out ulong next)
    {
        var from = cursor == 0 ? 0UL : cursor - 1;
        var candidates = new List<(uint Order, KeyValuePair<byte[], byte[]> Pair)>();
        foreach (var pair in hash.Fields)
        {
            var order = Order(pair.Key);
            if (order >= from)
            {
                candidates.Add((order, pair));
            }
        }

        candidates.Sort(static (x, y) => x.Order.CompareTo(y.Order));
        var page = new List<KeyValuePair<byte[], byte[]>>();
        var taken = 0;
        while (taken < candidates.Count && (taken < count || candidates[taken].Order == candidates[taken - 1].Order))
        {
            page.Add(candidates[taken].Pair);
            taken++;
        }

        // The cursor is "first hash code still to visit, plus one" (0 means start and end).
        next = taken < candidates.Count ? candidates[taken - 1].Order + 2UL : 0;
        return page;
    }

    /// <summary>Like Redis's strtoul: an optional sign (a negative cursor wraps around), then digits only.</summary>
    private static bool TryParseCursor(ReadOnlySpan<byte> text, out ulong cursor)
    {
        cursor = 0;
        var negative = text.Length > 0 && text[0] == '-';
        var digits = text.Length > 0 && text[0] is (byte)'-' or (byte)'+' ? text[1..] : text;
        if (digits.IsEmpty)
        {
            return false;
        }

        foreach (var digit in digits)
        {
            if (digit is < (byte)'0' or > (byte)'9' || cursor > (ulong.MaxValue - (ulong)(digit - '0')) / 10)
            {
                return false;
            }

            cursor = (cursor * 10) + (ulong)(digit - '0');
        }

        cursor = negative ? unchecked(0UL - cursor) : cursor;
        return true;
    }

    private static uint Order(byte[] field) => (uint)ByteArrayComparer.Instance.GetHashCode(field);

    private static void Reply(ClientSession c, ulong cursor, List<KeyValuePair<byte[], byte[]>> pairs)
    {
        c.Reply.ArrayHeader(2);
        c.Reply.BulkInteger((long)cursor); // at most uint.MaxValue + 2
        c.Reply.ArrayHeader(pairs.Count * 2);
        foreach (var (field, value) in pairs)
        {
            c.Reply.Bulk(field);
            c.Reply.Bulk(value);
        }
    }
}
