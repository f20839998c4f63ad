namespace WebFarm.Balancer.Statistics;

/// <summary>
/// Request counts and response-time histograms for the last <see cref="Seconds"/> seconds, in one-second
/// slots of a ring. Recording is lock-free and allocation-free: find the slot for the current second, and
/// if it still holds an older second, the first writer to notice claims it (compare-and-swap on its epoch),
/// clears it and publishes the new epoch while the others wait a few spins. Reads add up the slots whose
/// epoch falls in the requested range; a slot being cleared concurrently may be slightly off, which is
/// fine for statistics.
/// </summary>
internal sealed class SlidingLatencyWindow
{
    public const int Seconds = 60;

    // Marks a slot being cleared; no real epoch (seconds since the timestamp origin) is negative.
    private const long Resetting = -1;

    private readonly TimeProvider _time;
    private readonly long[] _epochs = new long[Seconds];
    private readonly long[] _requests = new long[Seconds];
    private readonly int[] _bins = new int[Seconds * LatencyBins.Count];

    public SlidingLatencyWindow(TimeProvider time)
    {
        _time = time;
        // long.MinValue never matches a real second, so untouched slots are ignored by reads.
        Array.Fill(_epochs, long.MinValue);
    }

    /// <summary>The current second on the injected clock.</summary>
    public long CurrentSecond => _time.GetTimestamp() / _time.TimestampFrequency;

    /// <summary>Counts one completed request; with a latency, also adds it to the histogram.</summary>
    public void Record(TimeSpan? elapsed) => Record(elapsed, _time.GetTimestamp());

    /// <summary>Counts one request completed at <paramref name="now"/> (a timestamp of the injected clock).</summary>
    public void Record(TimeSpan? elapsed, long now)
    {
        var second = now / _time.TimestampFrequency;
        var slot = (int)(second % Seconds);
        if (!EnterSlot(slot, second))
        {
            return;
        }

        Interlocked.Increment(ref _requests[slot]);
        if (elapsed is { } value)
        {
            Interlocked.Increment(ref _bins[(slot * LatencyBins.Count) + LatencyBins.IndexOf(value)]);
        }
    }

    /// <summary>Adds the histogram of the last <paramref name="seconds"/> seconds (including the current one) into <paramref name="bins"/>.</summary>
    /// <returns>The number of samples added.</returns>
    public long AddHistogram(Span<long> bins, int seconds = Seconds)
    {
        var now = CurrentSecond;
        long total = 0;
        for (var slot = 0; slot < Seconds; slot++)
        {
            var epoch = Volatile.Read(ref _epochs[slot]);
            if (epoch < 0 || epoch > now || epoch <= now - seconds)
            {
                continue;
            }

            var offset = slot * LatencyBins.Count;
            for (var i = 0; i < LatencyBins.Count; i++)
            {
                var count = Volatile.Read(ref _bins[offset + i]);
                bins[i] += count;
                total += count;
            }
        }

        return total;
    }

    /// <summary>
    /// Requests completed per second over the last <paramref name="seconds"/> complete seconds (the current,
    /// partial second is left out so the rate does not dip at the start of every second).
    /// </summary>
    public double RequestsPerSecond(int seconds = 10)
    {
        var now = CurrentSecond;
        long total = 0;
        for (var slot = 0; slot < Seconds; slot++)
        {
            var epoch = Volatile.Read(ref _epochs[slot]);
            if (epoch >= 0 && epoch < now && epoch >= now - seconds)
            {
                total += Volatile.Read(ref _requests[slot]);
            }
        }

        return total / (double)seconds;
    }

    private bool EnterSlot(int slot, long second)
    {
        var spin = new SpinWait();
        while (true)
        {
            var epoch = Volatile.Read(ref _epochs[slot]);
            if (epoch == second)
            {
                return true;
            }

            if (epoch > second)
            {
                // This thread read the clock a whole window ago and the slot has moved on: drop the sample.
                return false;
            }

            if (epoch != Resetting && Interlocked.CompareExchange(ref _epochs[slot], Resetting, epoch) == epoch)
            {
                Volatile.Write(ref _requests[slot], 0);
                Array.Clear(_bins, slot * LatencyBins.Count, LatencyBins.Count);
                Volatile.Write(ref _epochs[slot], second);
                return true;
            }

            // Another thread is clearing the slot (a few hundred nanoseconds): wait for its new epoch.
            spin.SpinOnce();
        }
    }
}
