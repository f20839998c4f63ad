namespace WebFarm.State.Commands;

/// <summary>Case-insensitive comparer for command names, probed with spans straight from the request.</summary>
internal sealed class AsciiCaseInsensitiveComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly AsciiCaseInsensitiveComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x is not null && y is not null && Equals(x.AsSpan(), y);

    public int GetHashCode(byte[] obj) => GetHashCode(obj.AsSpan());

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => System.Text.Ascii.EqualsIgnoreCase(alternate, other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var hash = (uint)alternate.Length;
        foreach (var b in alternate)
        {
            hash = (hash * 31) + (uint)(b | 0x20);
        }

        return (int)hash;
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
