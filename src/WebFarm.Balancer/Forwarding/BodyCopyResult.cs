namespace WebFarm.Balancer.Forwarding;

/// <summary>How copying a response body ended: bytes copied, the server-side error if the server failed, or the client gone.</summary>
internal readonly record struct BodyCopyResult(long Bytes, Exception? UpstreamError, bool ClientGone);
