namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>
/// Where a parsed response head's header lines are and which of them a relayed head leaves out (hop-by-hop and framing
/// headers), recorded by <see cref="Http1ResponseParser.TryParse"/> while it classifies each line anyway.
/// The front end's writer then copies the kept runs in bulk instead of reading and classifying every line a second
/// time: that second pass was 1.4% of the balancer's CPU per proxied request (perf, bench/balancer/run.sh PROFILE=1,
/// docs/benchmarks.md). A head the bulk copy cannot reproduce exactly (a line to rewrite, too many lines to drop,
/// headers named by Connection, a CR or NUL that may sit in a value) is marked <see cref="NeedsFilter"/>, and the writer
/// filters it line by line (<see cref="Http1ResponseParser.NextKeptLine"/>).
/// </summary>
internal struct Http1ResponseLines
{
    /// <summary>
    /// Separate runs of dropped lines kept (adjacent dropped lines make one run). A plain server drops one to three:
    /// nginx sends Content-Length and Connection apart; more is rare and filtered line by line.
    /// </summary>
    public const int MaxDropped = Http1DroppedRuns.Length / 2;

    private Http1DroppedRuns _dropped;

    public Http1ResponseLines(int start)
    {
        Start = start;
        End = start;
    }

    /// <summary>Where the first header line starts (right after the status line).</summary>
    public int Start { get; }

    /// <summary>Where the empty line that ends the head starts.</summary>
    public int End { get; set; }

    /// <summary>How many runs of lines are dropped.</summary>
    public int DroppedCount { get; private set; }

    /// <summary>True when the kept lines cannot be copied as they are: the writer filters the head line by line.</summary>
    public bool NeedsFilter { get; private set; }

    /// <summary>A kept Date line: the server's date stands.</summary>
    public bool HasDate { get; set; }

    /// <summary>A kept X-Request-Id line: the server's id stands.</summary>
    public bool HasRequestId { get; set; }

    /// <summary>A kept Strict-Transport-Security line, which an https listener's own policy replaces.</summary>
    public bool HasStrictTransportSecurity { get; set; }

    /// <summary>Drops the line from <paramref name="start"/> to <paramref name="end"/> (after its LF).</summary>
    public void Drop(int start, int end)
    {
        var count = DroppedCount;
        if (count > 0 && _dropped[(2 * count) - 1] == start)
        {
            _dropped[(2 * count) - 1] = end;
            return;
        }

        if (count == MaxDropped)
        {
            NeedsFilter = true;
            return;
        }

        _dropped[2 * count] = start;
        _dropped[(2 * count) + 1] = end;
        DroppedCount = count + 1;
    }

    /// <summary>A line the bulk copy would not reproduce as the filter writes it: filter the head line by line.</summary>
    public void RequireFilter() => NeedsFilter = true;

    /// <summary>Where dropped run <paramref name="index"/> starts.</summary>
    public readonly int DroppedStart(int index) => _dropped[2 * index];

    /// <summary>Where dropped run <paramref name="index"/> ends (the start of the next kept line).</summary>
    public readonly int DroppedEnd(int index) => _dropped[(2 * index) + 1];
}
