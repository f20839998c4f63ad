using System.Numerics;

namespace WebFarm.Balancer.Statistics;

/// <summary>
/// The fixed log-linear bin layout used by the response-time histograms (the HdrHistogram idea): values in
/// microseconds, exact below 16 µs, then 16 linear sub-bins per power of two, so any value is known within
/// 1/16 of itself (the reported midpoint is within ~3%). Values are capped at 2^32 µs (~71 minutes).
/// A fixed layout means recording is one index computation and one Interlocked increment, and histograms
/// of different servers can be merged by adding bins.
/// </summary>
internal static class LatencyBins
{
    private const int SubBits = 4;
    private const int SubCount = 1 << SubBits;
    private const long MaxMicroseconds = (1L << 32) - 1;

    /// <summary>Number of bins: 16 exact ones, then 16 per power of two from 2^4 to 2^31.</summary>
    public const int Count = (31 - SubBits + 1) * SubCount + SubCount;

    public static int IndexOf(TimeSpan elapsed)
    {
        // Ticks are 100 ns; integer division keeps this exact and allocation-free.
        var micros = elapsed.Ticks / 10;
        return IndexOf(micros);
    }

    public static int IndexOf(long micros)
    {
        if (micros < SubCount)
        {
            return micros < 0 ? 0 : (int)micros;
        }

        if (micros > MaxMicroseconds)
        {
            micros = MaxMicroseconds;
        }

        var msb = 63 - BitOperations.LeadingZeroCount((ulong)micros);
        var sub = (int)(micros >> (msb - SubBits)) & (SubCount - 1);
        return ((msb - SubBits + 1) * SubCount) + sub;
    }

    /// <summary>Smallest value (µs) that falls into bin <paramref name="index"/>.</summary>
    public static long LowerBound(int index)
    {
        if (index < SubCount)
        {
            return index;
        }

        var msb = (index / SubCount) + SubBits - 1;
        var sub = index % SubCount;
        return (long)(SubCount + sub) << (msb - SubBits);
    }

    /// <summary>Number of distinct microsecond values in bin <paramref name="index"/>.</summary>
    public static long Width(int index)
        => index < SubCount ? 1 : 1L << ((index / SubCount) - 1);

    /// <summary>The value reported for a bin: its midpoint, in microseconds (exact for the first 16 bins).</summary>
    public static double Representative(int index) => LowerBound(index) + ((Width(index) - 1) / 2.0);

    /// <summary>
    /// The q-quantile (0 &lt; q ≤ 1) of merged bin counts in milliseconds, by the nearest-rank method;
    /// 0 when there are no samples.
    /// </summary>
    public static double PercentileMs(ReadOnlySpan<long> bins, long total, double q)
    {
        if (total <= 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(q * total));
        long seen = 0;
        for (var i = 0; i < bins.Length; i++)
        {
            seen += bins[i];
            if (seen >= rank)
            {
                return Representative(i) / 1000.0;
            }
        }

        return Representative(bins.Length - 1) / 1000.0;
    }
}
