using WebFarm.Balancer.Forwarding;

namespace WebFarm.Balancer.Pipeline;

/// <summary>Whether a failed attempt is tried again on another server: the one rule for every request.</summary>
internal static class RetryDecision
{
    /// <summary>
    /// True when <paramref name="result"/> failed before any response byte reached the client, attempts remain, the
    /// body (if any) can be sent whole again, and resending is safe: nothing was sent (connect failure), or the method
    /// is idempotent.
    /// </summary>
    public static bool ShouldRetry(in AttemptResult result, int attempt, int maxAttempts, bool idempotent, bool canReplayBody, bool responseStarted)
    {
        if (attempt >= maxAttempts || responseStarted)
        {
            return false;
        }

        var replayable = canReplayBody || !result.BodyStarted;
        return replayable && (result.Outcome == AttemptOutcome.ConnectFailed || idempotent);
    }
}
