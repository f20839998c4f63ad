using System.Runtime.CompilerServices;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// A 64-bit hash that is the same in every process, on every machine and across restarts: FNV-1a over the
/// input followed by a SplitMix64 finalizer (FNV alone mixes the last bytes poorly).
/// <see cref="HashCode"/> and string.GetHashCode are randomized per process, so they cannot be used for
/// consistent hashing shared by several balancers.
/// </summary>
internal static class StableHash
{
    private const ulong OffsetBasis = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public const ulong Seed = OffsetBasis;

    public static ulong Hash(ReadOnlySpan<byte> bytes) => Mix(Append(Seed, bytes));

    public static ulong Hash(ReadOnlySpan<char> chars) => Mix(Append(Seed, chars));

    /// <summary>Feeds bytes into a running (unfinalized) FNV-1a state.</summary>
    public static ulong Append(ulong state, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            state = (state ^ b) * Prime;
        }

        return state;
    }

    /// <summary>Feeds UTF-16 code units (low byte first, so the result does not depend on endianness).</summary>
    public static ulong Append(ulong state, ReadOnlySpan<char> chars)
    {
        foreach (var c in chars)
        {
            state = (state ^ (byte)c) * Prime;
            state = (state ^ (byte)(c >> 8)) * Prime;
        }

        return state;
    }

    /// <summary>Feeds one separator byte, so that ("ab","c") and ("a","bc") hash differently.</summary>
    public static ulong AppendSeparator(ulong state) => (state ^ 0xFF) * Prime;

    /// <summary>SplitMix64 finalizer: every input bit affects every output bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return x;
    }

    /// <summary>Combines two finalized hashes into a new well-mixed hash.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Combine(ulong a, ulong b) => Mix(a ^ Mix(b + 0x9E3779B97F4A7C15UL));

    /// <summary>Maps a hash to a double uniformly distributed in the open interval (0, 1).</summary>
    /// <remarks>52 bits, not 53: with 53, (2^53 - 0.5) / 2^53 rounds to exactly 1.0 and ln(1) = 0.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ToUnitInterval(ulong hash) => ((hash >> 12) + 0.5) * (1.0 / (1UL << 52));
}
