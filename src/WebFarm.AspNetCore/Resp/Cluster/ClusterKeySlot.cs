namespace WebFarm.AspNetCore.Resp.Cluster;

/// <summary>
/// Redis Cluster's key to slot mapping: CRC16 (XMODEM: polynomial 0x1021, initial value 0) of the key, or of its
/// hash tag (the bytes between the first '{' and the next '}', when not empty), modulo 16384.
/// </summary>
public static class ClusterKeySlot
{
    /// <summary>The number of hash slots of a Redis Cluster.</summary>
    public const int SlotCount = 16384;

    private static readonly ushort[] Table = BuildTable();

    /// <summary>The slot of <paramref name="key"/> (its UTF-8 bytes).</summary>
    public static int Of(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> buffer = key.Length <= 128 ? stackalloc byte[key.Length * 3] : new byte[System.Text.Encoding.UTF8.GetMaxByteCount(key.Length)];
        int length = System.Text.Encoding.UTF8.GetBytes(key, buffer);
        return Of(buffer[..length]);
    }

    /// <summary>The slot of the key bytes <paramref name="key"/>, honouring a hash tag.</summary>
    public static int Of(ReadOnlySpan<byte> key)
    {
        int open = key.IndexOf((byte)'{');
        if (open >= 0)
        {
            int close = key[(open + 1)..].IndexOf((byte)'}');
            if (close > 0)
            {
                key = key.Slice(open + 1, close);
            }
        }

        return Crc16(key) & (SlotCount - 1);
    }

    /// <summary>CRC16-XMODEM, the checksum Redis Cluster hashes keys with.</summary>
    internal static ushort Crc16(ReadOnlySpan<byte> data)
    {
        ushort crc = 0;
        foreach (byte b in data)
        {
            crc = (ushort)((crc << 8) ^ Table[((crc >> 8) ^ b) & 0xFF]);
        }

        return crc;
    }

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }

            table[i] = (ushort)crc;
        }

        return table;
    }
}
