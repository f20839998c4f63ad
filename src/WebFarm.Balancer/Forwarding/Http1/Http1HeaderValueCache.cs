using System.Text;

namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>
/// The last value string seen for each cacheable response header of one server (Date changes once a second; Server,
/// Content-Type, Cache-Control hardly ever), so relaying an unchanged value allocates nothing. Shared by the
/// server's connections without locks: an entry is immutable and replaced whole, and a lost race only costs a string.
/// </summary>
internal sealed class Http1HeaderValueCache
{
    private const int MaxValueLength = 256;

    private readonly Entry?[] _entries = new Entry?[Http1ResponseParser.CacheableNames];

    public string Get(int slot, ReadOnlySpan<byte> value)
    {
        var entry = Volatile.Read(ref _entries[slot]);
        if (entry is not null && value.SequenceEqual(entry.Bytes))
        {
            return entry.Value;
        }

        var text = Encoding.Latin1.GetString(value);
        if (value.Length <= MaxValueLength)
        {
            Volatile.Write(ref _entries[slot], new Entry(value.ToArray(), text));
        }

        return text;
    }

    private sealed class Entry(byte[] bytes, string value)
    {
        public byte[] Bytes { get; } = bytes;

        public string Value { get; } = value;
    }
}
