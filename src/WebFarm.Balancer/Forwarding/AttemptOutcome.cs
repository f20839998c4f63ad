namespace WebFarm.Balancer.Forwarding;

internal enum AttemptOutcome
{
    /// <summary>A response (or an error response, or an abort after the response started) went to the client.</summary>
    Done,

    /// <summary>The client went away; nothing more to send and nothing counted against the server.</summary>
    ClientAborted,

    /// <summary>No connection could be made (refused, unreachable, connect timeout): nothing was sent, any method may be retried.</summary>
    ConnectFailed,

    /// <summary>The connection failed or timed out after the request was sent, before response headers: only idempotent requests are retried.</summary>
    FailedBeforeHeaders,
}
