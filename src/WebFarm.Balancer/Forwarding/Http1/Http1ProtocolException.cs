namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>A server sent something that is not a valid HTTP/1.1 response; the message says what.</summary>
internal sealed class Http1ProtocolException(string detail) : IOException($"invalid HTTP response: {detail}");
