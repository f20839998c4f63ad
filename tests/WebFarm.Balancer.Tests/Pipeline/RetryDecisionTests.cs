using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Pipeline;

namespace WebFarm.Balancer.Tests.Pipeline;

/// <summary>The one retry rule both client adapters go through, row by row.</summary>
public sealed class RetryDecisionTests
{
    [Theory]
    // connectFailed, bodyStarted, attempt, max, idempotent, canReplayBody, responseStarted, retry
    [InlineData(true, false, 1, 3, false, false, false, true)] // nothing sent: any method
    [InlineData(true, false, 3, 3, true, true, false, false)] // no attempts left
    [InlineData(true, false, 1, 1, true, true, false, false)] // retries off
    [InlineData(false, false, 1, 3, true, true, false, true)] // idempotent, replayable
    [InlineData(false, false, 1, 3, false, true, false, false)] // POST may have been processed
    [InlineData(false, true, 1, 3, true, false, false, false)] // streamed body partly sent
    [InlineData(false, true, 1, 3, true, true, false, true)] // buffered body sent again whole
    [InlineData(false, false, 1, 3, true, true, true, false)] // the client has part of a response
    [InlineData(true, false, 2, 3, false, false, false, true)] // second of three
    public void A_failed_attempt_is_retried_only_when_safe(bool connectFailed, bool bodyStarted, int attempt, int maxAttempts, bool idempotent, bool canReplayBody, bool responseStarted, bool retry)
    {
        var result = new AttemptResult(connectFailed ? AttemptOutcome.ConnectFailed : AttemptOutcome.FailedBeforeHeaders, 502, "failed", bodyStarted);
        Assert.Equal(retry, RetryDecision.ShouldRetry(result, attempt, maxAttempts, idempotent, canReplayBody, responseStarted));
    }
}
