namespace WebFarm.Balancer.Forwarding;

/// <summary>How one attempt to a server ended, as far as the retry loop cares.</summary>
internal readonly record struct AttemptResult(AttemptOutcome Outcome, int StatusCode = 0, string? Message = null, bool BodyStarted = false)
{
    public static AttemptResult Done => new(AttemptOutcome.Done);

    public static AttemptResult ClientGone => new(AttemptOutcome.ClientAborted);
}
