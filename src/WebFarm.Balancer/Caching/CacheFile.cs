using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace WebFarm.Balancer.Caching;

/// <summary>
/// One cached response as a file of the disk tier: "WFC1", the key and Vary values first (what the index needs at
/// start-up, read without the rest), then status, age, freshness, headers and body, and a SHA-256 of all that. A file
/// that is short, does not parse or fails its hash is corrupt: the caller deletes it and counts a miss. Files are
/// written under a temporary name and renamed, so a crash leaves a stray ".tmp" (deleted at the next start), never a
/// half-written entry under a real name.
/// </summary>
internal static class CacheFile
{
    public const string Extension = ".wfc";
    public const string TempExtension = ".tmp";

    private const int HashLength = 32;

    private static ReadOnlySpan<byte> Magic => "WFC1"u8;

    /// <summary>The file name of a variant: a hash of its key and Vary values (the same variant replaces its file).</summary>
    public static string NameOf(string key, string?[] varyValues)
    {
        var text = new StringBuilder(key);
        foreach (var value in varyValues)
        {
            text.Append('\n').Append(value is null ? "\u0000" : value);
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))) + Extension;
    }

    /// <summary>Writes <paramref name="entry"/> (<paramref name="ageSeconds"/> old at <paramref name="now"/>) to <paramref name="path"/>; returns its size.</summary>
    public static long Write(string path, CachedResponse entry, long ageSeconds, DateTimeOffset now)
    {
        using var payload = new MemoryStream(entry.Body.Length + 512);
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(entry.Key);
            writer.Write(entry.VaryNames.Length);
            for (var i = 0; i < entry.VaryNames.Length; i++)
            {
                writer.Write(entry.VaryNames[i]);
                writer.Write(entry.VaryValues[i] is not null);
                writer.Write(entry.VaryValues[i] ?? string.Empty);
            }

            writer.Write(entry.Status);
            writer.Write(now.ToUnixTimeMilliseconds());
            writer.Write(ageSeconds);
            writer.Write(entry.Freshness.LifetimeSeconds);
            writer.Write(entry.Freshness.AlwaysRevalidate);
            writer.Write(entry.Freshness.MustRevalidate);
            writer.Write(entry.Headers.Length);
            foreach (var (name, values) in entry.Headers)
            {
                writer.Write(name);
                writer.Write(values.Count);
                foreach (var value in values)
                {
                    writer.Write(value ?? string.Empty);
                }
            }

            writer.Write(entry.Body.Length);
            writer.Write(entry.Body);
        }

        var hash = SHA256.HashData(payload.GetBuffer().AsSpan(0, (int)payload.Length));
        var temp = path + "." + Guid.NewGuid().ToString("N") + TempExtension;
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096))
        {
            file.Write(payload.GetBuffer().AsSpan(0, (int)payload.Length));
            file.Write(hash);
        }

        File.Move(temp, path, overwrite: true);
        return payload.Length + HashLength;
    }

    /// <summary>The key and Vary values at the start of a file (for the index at start-up); false when they do not parse.</summary>
    public static bool TryReadIdentity(string path, out string key, out string[] varyNames, out string?[] varyValues)
    {
        key = string.Empty;
        varyNames = [];
        varyValues = [];
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 4096);
            using var reader = new BinaryReader(file, Encoding.UTF8);
            return ReadIdentity(reader, out key, out varyNames, out varyValues);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads a whole entry and checks its hash; null when the file is corrupt or truncated (or vanished). Its age is
    /// the age it was written with plus the wall-clock time since, so a copy is not made young by its time on disk.
    /// </summary>
    public static CachedResponse? TryRead(string path, TimeProvider clock)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (bytes.Length < Magic.Length + HashLength
            || !SHA256.HashData(bytes.AsSpan(0, bytes.Length - HashLength)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashLength)))
        {
            return null;
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, 0, bytes.Length - HashLength, writable: false), Encoding.UTF8);
            if (!ReadIdentity(reader, out var key, out var varyNames, out var varyValues))
            {
                return null;
            }

            var status = reader.ReadInt32();
            var writtenAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64());
            var age = reader.ReadInt64();
            var lifetime = reader.ReadInt64();
            var alwaysRevalidate = reader.ReadBoolean();
            var mustRevalidate = reader.ReadBoolean();
            var headerCount = reader.ReadInt32();
            if (headerCount is < 0 or > 10_000)
            {
                return null;
            }

            var headers = new KeyValuePair<string, StringValues>[headerCount];
            for (var i = 0; i < headerCount; i++)
            {
                var name = reader.ReadString();
                var count = reader.ReadInt32();
                if (count is < 0 or > 10_000)
                {
                    return null;
                }

                var values = new string[count];
                for (var v = 0; v < count; v++)
                {
                    values[v] = reader.ReadString();
                }

                headers[i] = new(name, new StringValues(values));
            }

            var bodyLength = reader.ReadInt32();
            if (bodyLength < 0 || bodyLength != reader.BaseStream.Length - reader.BaseStream.Position)
            {
                return null;
            }

            var body = reader.ReadBytes(bodyLength);
            var onDisk = Math.Max(0, (long)(clock.GetUtcNow() - writtenAt).TotalSeconds);
            var freshness = new Freshness(lifetime, age + onDisk, alwaysRevalidate, mustRevalidate);
            return new CachedResponse(key, status, headers, body, freshness, clock.GetTimestamp(), varyNames, varyValues);
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    private static bool ReadIdentity(BinaryReader reader, out string key, out string[] varyNames, out string?[] varyValues)
    {
        key = string.Empty;
        varyNames = [];
        varyValues = [];
        Span<byte> magic = stackalloc byte[4];
        if (reader.Read(magic) != magic.Length || !magic.SequenceEqual(Magic))
        {
            return false;
        }

        key = reader.ReadString();
        var count = reader.ReadInt32();
        if (count is < 0 or > 1000)
        {
            return false;
        }

        varyNames = new string[count];
        varyValues = new string?[count];
        for (var i = 0; i < count; i++)
        {
            varyNames[i] = reader.ReadString();
            var present = reader.ReadBoolean();
            var value = reader.ReadString();
            varyValues[i] = present ? value : null;
        }

        return true;
    }
}
