using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Forwarding.Http1;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Pipeline;

/// <summary>
/// What the request pipeline needs from whatever read the request from the client: Kestrel
/// (<see cref="KestrelClient"/>) or the HTTP/1.1 front end (<see cref="FrontEnd.FrontEndClient"/>). The pipeline
/// owns every decision (which server, when to queue, whether to retry, which error); an adapter only supplies the
/// request's facts and carries out the client side: affinity's cookie and address (<see cref="IAffinityClient"/>),
/// the policy's view of the request, the attempt on the upstream path <see cref="ServingDecision"/> picks, the
/// response target, the client-gone signal, and how an error and an access-log line are written.
/// </summary>
internal interface IClientAdapter : IChoosingClient
{
    /// <summary>The method may be sent again after a failure that may have reached the server (RFC 9110 9.2.2).</summary>
    bool IsIdempotent { get; }

    /// <summary>The request has no body, or its body is buffered: another attempt can send it whole.</summary>
    bool CanReplayBody { get; }

    /// <summary>Fires when the client is gone: a queued request gives up, a running attempt is cancelled.</summary>
    CancellationToken ClientGone { get; }

    /// <summary>Part of the response may have reached the client: no error answer and no retry are possible any more.</summary>
    bool HasStarted { get; }

    /// <summary>One attempt on <see cref="AttemptRequest.Server"/>, on the upstream path <see cref="ServingDecision"/> picks.</summary>
    ValueTask<AttemptResult> AttemptAsync(Http1Forwarder direct, AttemptRequest request);

    /// <summary>Answers with the balancer's own short error response, or aborts the response when it has started.</summary>
    ValueTask WriteErrorAsync(int statusCode, string message, string requestId, bool retryAfter = false);

    /// <summary>Tears down the client's side (the client left, or a started response cannot be completed).</summary>
    void Abort();

    /// <summary>Writes this request's access-log line (the request line and status as this client saw them).</summary>
    void LogAccess(AccessLog log, string farm, string server, string requestId, double elapsedMilliseconds);
}
